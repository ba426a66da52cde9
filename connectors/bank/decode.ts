// A bank file's bytes as text, before detection and the readers. Until 2026-12-03 every file was read as UTF-8
// whatever it was: a camt.053 declaring `encoding="ISO-8859-1"` (valid XML, as some banks send) and a CSV export
// in Windows-1252 (as older online banking writes) imported with every accented letter and `£` turned into U+FFFD
// in the lake and the raw trail for good, and into the content ids of lines without a bank reference (so the same
// entry imported later from a well-read file would be another line: the money twice); a UTF-16 file (Excel's
// "Unicode text") was refused as "binary data (a spreadsheet ...)".
//
// What decides, in order: a byte order mark (UTF-8, UTF-16 LE or BE); for XML, the encoding its declaration names
// (the XML rule: a UTF-16 document without a mark is told by its first characters `<?`); else UTF-8. Text that is
// not valid in the encoding so found is refused, naming the line, never guessed at.
import { BankFileError } from './statement.js';

/** The text of a bank file, or BankFileError when its bytes are not text in the encoding it has. */
export function decodeBankFile(bytes: Buffer | string): string {
  if (typeof bytes === 'string') return bytes.charCodeAt(0) === 0xfeff ? bytes.slice(1) : bytes;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return strict(bytes.subarray(3), 'utf-8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return strict(bytes.subarray(2), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return strict(bytes.subarray(2), 'utf-16be');
  // `<?` in UTF-16 without a mark (XML 1.0, appendix F).
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) return strict(bytes, 'utf-16le');
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) return strict(bytes, 'utf-16be');
  const declared = xmlDeclaredEncoding(bytes);
  return strict(bytes, declared ?? 'utf-8', declared);
}

/** The encoding an XML declaration at the start names (`<?xml version="1.0" encoding="ISO-8859-1"?>`), else null. */
function xmlDeclaredEncoding(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 512).toString('latin1');
  const m = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(head);
  return m ? m[1]! : null;
}

function strict(bytes: Buffer, encoding: string, declared: string | null = null): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new BankFileError(`the XML declaration names the encoding "${declared ?? encoding}", which Puddle cannot read: ask the bank for UTF-8 or ISO-8859-1`, 'line 1');
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new BankFileError(notText(bytes, encoding, declared), `line ${badLine(bytes, encoding)}`);
  }
}

/** What to say of bytes that are not text in `encoding` (never a byte's neighbours: a line can hold a name). */
function notText(bytes: Buffer, encoding: string, declared: string | null): string {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return 'the file starts as UTF-16 text but holds bytes that are not UTF-16 (cut short, or two files joined?)';
  if (declared) {
    return `not text in ${declared}, the encoding its XML declaration names: the file is not what it says it is (saved again by another program?); ask the bank for it again`;
  }
  const latin = bytes.some((b) => b >= 0x80);
  return (
    'not UTF-8 text: a byte that is no UTF-8 character' +
    (latin
      ? ', as a file in Windows-1252 or ISO-8859-1 has for £, € or an accented letter (older online banking exports write these). ' +
        'Nothing is guessed, since a wrong guess would change names and references for good: save the file as UTF-8 (in Excel: "CSV UTF-8") and import it again'
      : '')
  );
}

/** The 1-based line of the first bytes `encoding` refuses (a line ends at a newline byte, one in UTF-8 and Latin encodings). */
function badLine(bytes: Buffer, encoding: string): number {
  if (encoding.startsWith('utf-16')) return 1;
  const decoder = new TextDecoder(encoding, { fatal: true });
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return line;
}
