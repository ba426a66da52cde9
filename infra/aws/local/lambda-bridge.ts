// What API Gateway and the Lambda service do between the world and a handler, for `puddle aws local`:
// an HTTP request becomes an HTTP API payload 2.0 event, a received SQS message an SQS event record, and
// the handler's v2 result an HTTP response.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSRecord } from 'aws-lambda';

import { HANDLERS, type HandlerName, type HandlerSpec } from '../shape.js';

export function httpEventOf(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    // HTTP API joins repeated headers with commas and moves cookies out of the headers.
    if (name === 'cookie') cookies = String(value).split(/;\s*/).filter(Boolean);
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    // Always base64, as API Gateway does for binary media types: the handler must decode it to check signatures.
    ...(body.length > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

export function writeHttpResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
  const body = result.body === undefined ? Buffer.alloc(0) : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  res.statusCode = result.statusCode ?? 200;
  res.setHeader('content-length', body.length);
  res.end(body);
}

/** A message from ReceiveMessage as the event source mapping hands it to the function. */
export function sqsRecordOf(m: Message, queueArn: string, region: string): SQSRecord {
  const body = m.Body ?? '';
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, a] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[name] = { dataType: a.DataType ?? 'String', stringValue: a.StringValue, stringListValues: [], binaryListValues: [] };
  }
  const now = String(Date.now());
  return {
    messageId: m.MessageId ?? randomUUID(),
    receiptHandle: m.ReceiptHandle ?? '',
    body,
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: m.Attributes?.SentTimestamp ?? now,
      SenderId: m.Attributes?.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? now,
    },
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function lambdaContextOf(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The function API Gateway sends a request to: the first of the stack's HTTP routes (shape.ts HANDLERS, the same
 * list the stack adds its routes from) whose method and path match, `{name}` matching one path segment. None
 * matches: API Gateway answers 404 itself, no function runs.
 */
export function routeFor(method: string, path: string, handlers: readonly HandlerSpec[] = HANDLERS): HandlerName | undefined {
  const segments = path.split('/');
  for (const spec of handlers) {
    for (const route of spec.routes ?? []) {
      const [routeMethod, routePath = ''] = route.split(' ');
      const want = routePath.split('/');
      if (routeMethod !== method || want.length !== segments.length) continue;
      if (want.every((w, i) => (/^\{\w+\}$/.test(w) ? segments[i] !== '' : w === segments[i]))) return spec.name;
    }
  }
  return undefined;
}

/**
 * The most an HTTP API takes in a request (10 MB); past it API Gateway answers 413 itself and no function runs.
 * `puddle aws local` stops reading there: until 2026-12-03 it held any body whole in memory before the producer's
 * own 1 MiB limit was looked at, so one huge upload could take the process down, and every queue and counter the
 * emulators held in memory with it.
 */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const TOO_LARGE: APIGatewayProxyStructuredResultV2 = { statusCode: 413, headers: { 'content-type': 'application/json', connection: 'close' }, body: '{"message":"Request Entity Too Large"}' };

/**
 * An HTTP API's answer when its Lambda function fails (throws, times out, or cannot start): 500 with this body.
 * API Gateway's REST APIs answer 502 `{"message": "Internal server error"}` (the Lambda guide's "Handling Lambda
 * errors with an API Gateway API"); the stack's API is an HTTP API, whose troubleshooting guide names this body and
 * which answers 500 (aws/aws-sam-cli#2590 shows a deployed one). `puddle aws local` answered 502 until 2026-12-03.
 */
export const FUNCTION_ERROR: APIGatewayProxyStructuredResultV2 = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };

/** A function's answer as the HTTP API gives it: its result, or FUNCTION_ERROR when it fails (`failed` is told why). */
export async function invokeHttp(
  handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
  event: APIGatewayProxyEventV2,
  failed: (err: unknown) => void,
): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await handler(event);
  } catch (err) {
    failed(err);
    return FUNCTION_ERROR;
  }
}

/** API Gateway's own answer when no route matches. */
export const NO_ROUTE: APIGatewayProxyStructuredResultV2 = { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' };
