/** Reading JSON files the way every command does: one message shape, with the position of a syntax error. */
import { readFileSync } from 'node:fs';
import type { HnasError, SourceLocation } from '../errors.js';

/** An HnasError subclass: the error a module throws for its own kind of file. */
export type FileErrorClass = new (message: string, location?: SourceLocation, options?: { cause?: unknown }) => HnasError;

/**
 * Reads and parses a JSON file. A UTF-8 byte-order mark (editors on Windows write one) is skipped;
 * an unreadable file or a syntax error throws `ErrorClass` naming the file (and line:column).
 */
export function readJsonFile(file: string, ErrorClass: FileErrorClass, what = 'the file'): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ErrorClass(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file }, { cause: err });
  }
  return parseJsonText(text, file, ErrorClass);
}

/** JSON.parse of a file's text (BOM skipped), a syntax error located by line and column. */
export function parseJsonText(text: string, file: string, ErrorClass: FileErrorClass, expected = 'JSON'): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const raw = (err as Error).message;
    // V8: "... in JSON at position 11" (Node 20) or "... at position 11 (line 3 column 1)" (Node 22).
    const m = /at position (\d+)/.exec(raw);
    const at = m ? Number(m[1]) : body.length;
    const before = body.slice(0, at).split('\n');
    const reason = raw.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of the file');
    throw new ErrorClass(`not valid ${expected}: ${reason}`, { file, line: before.length, column: before.at(-1)!.length + 1 }, { cause: err });
  }
}
