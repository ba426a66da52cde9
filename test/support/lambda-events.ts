// Lambda event and context shapes as AWS sends them (@types/aws-lambda), built from what the emulators
// hold, so handlers are called exactly as the Lambda service would call them.
import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import { lambdaContextOf, sqsRecordOf } from '../../infra/aws/local/lambda-bridge.js';
import type { APIGatewayProxyEventV2, Context, S3Event, SQSEvent, SQSRecord } from 'aws-lambda';

export function lambdaContext(opts: { remainingMs?: number; functionName?: string } = {}): Context {
  return lambdaContextOf(opts.functionName ?? 'puddle-test', opts.remainingMs ?? 60_000);
}

/** An HTTP API (payload 2.0) request; `base64` sends the body base64-encoded, as API Gateway does for binary types. */
export function httpApiEvent(opts: {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  base64?: boolean;
  stage?: string;
  cookies?: string[];
}): APIGatewayProxyEventV2 {
  const stage = opts.stage ?? '$default';
  const rawPath = stage === '$default' ? opts.path : `/${stage}${opts.path}`;
  const bytes = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: opts.query ?? '',
    ...(opts.cookies ? { cookies: opts.cookies } : {}),
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'test',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...(bytes ? { 'content-length': String(bytes.length) } : {}),
      ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: opts.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage,
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(bytes ? { body: opts.base64 ? bytes.toString('base64') : bytes.toString('utf8') } : {}),
    isBase64Encoded: Boolean(opts.base64 && bytes),
  };
}

/** SQS messages received from an emulator queue, as the event source mapping hands them to the function. */
export function sqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return { Records: messages.map((m) => sqsRecord(m, queueArn)) };
}

export function sqsRecord(m: Message, queueArn: string): SQSRecord {
  return sqsRecordOf(m, queueArn, 'us-east-1');
}

/** An S3 event notification for objects put, with keys URL-encoded as S3 sends them (space as `+`). */
export function s3PutEvent(bucket: string, objects: { key: string; size: number }[]): S3Event {
  return {
    Records: objects.map((o, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
      requestParameters: { sourceIPAddress: '203.0.113.7' },
      responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'bank-inbox',
        bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeURIComponent(o.key).replace(/%2F/g, '/').replace(/%20/g, '+'), size: o.size, eTag: createHash('md5').update(o.key).digest('hex'), sequencer: `0A1B2C3D4E5F6${i}` },
      },
    })),
  };
}
