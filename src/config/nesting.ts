// How deeply a YAML text nests, measured before it is parsed. The yaml package builds its node
// tree recursively: some 800 levels (`[[[[...`, or `- - - ...` on one line) exhaust the stack,
// and V8 may then abort the whole process (a regular expression compiled at the overflow point
// fails as "out of memory"), which no catch can stop. Its lexer is not recursive: its tokens
// give an upper bound on the depth, well before the parser could overflow.
import { Lexer } from '#yaml';

/** Far above MAX_DEPTH (a deeper value is refused later, at its node), far below an overflow. */
export const MAX_SCAN_DEPTH = 128;

// Markers the lexer adds (they are not in the text): a scalar follows as the next token, the
// document starts, a flow collection ended by an error.
const SCALAR = '\u001f';
const DOCUMENT = '\u0002';
const FLOW_ERROR_END = '\u0018';

/** The offset at which the nesting of `text` passes MAX_SCAN_DEPTH, if it does. Block nesting is
 * counted as a stack of indents, each `- ` or `? ` opening one more level on its line; flow
 * nesting as open brackets. */
export function tooDeepAt(text: string): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let offset = 0;
  let lineStart = 0;
  let atLineStart = true;
  let scalarText = false;
  for (const token of new Lexer().lex(text)) {
    const start = offset;
    if (token !== SCALAR && token !== DOCUMENT && token !== FLOW_ERROR_END) offset += token.length;
    if (scalarText) {
      scalarText = false;
      const nl = token.lastIndexOf('\n');
      if (nl >= 0) lineStart = start + nl + 1;
      continue;
    }
    const first = token[0];
    if (token === '' || token === '\n' || token === '\r\n') {
      atLineStart = true;
      lineStart = offset;
      continue;
    }
    if (token === '---') indents.length = 0;
    if (first === ' ' || first === '\t' || first === '#') continue;
    if (token === SCALAR) scalarText = true;
    if (flow === 0 && atLineStart) {
      // The first token of a line closes the levels indented as deep or deeper, opens its own.
      const col = start - lineStart;
      while (indents.length > 0 && indents[indents.length - 1] >= col) indents.pop();
      indents.push(col);
    }
    atLineStart = false;
    if (flow === 0 && (token === '-' || token === '?')) indents.push(start - lineStart + 1);
    else if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if (token === FLOW_ERROR_END) flow = 0;
    else if (first === '"' || first === "'") {
      const nl = token.lastIndexOf('\n');
      if (nl >= 0) lineStart = start + nl + 1;
    }
    if (indents.length + flow > MAX_SCAN_DEPTH) return start;
  }
  return undefined;
}
