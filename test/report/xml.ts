// Test helper: a small XML well-formedness checker and tree builder (elements, attributes, text), used to check the
// report's SVG and HTML independently of the code that writes them; xmllint is run too where it is installed.
import { spawnSync } from 'node:child_process';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: () => string): string {
  return s.replace(/&([^;&\s<]*)(;?)/g, (_m, ref: string, semi: string) => {
    if (!semi) throw new Error(`${at()}: bare '&' (not an entity reference)`);
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const num = /^#(\d+)$/.exec(ref) ?? /^#x([0-9a-fA-F]+)$/.exec(ref);
    if (num) return String.fromCodePoint(parseInt(num[1]!, ref[1] === 'x' ? 16 : 10));
    throw new Error(`${at()}: unknown entity '&${ref};'`);
  });
}

/** Parses `text` as XML (optionally after a DOCTYPE); throws with the line number on any well-formedness error. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const line = (pos = i) => `line ${text.slice(0, pos).split('\n').length}`;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const expect = (s: string) => {
    if (!text.startsWith(s, i)) throw new Error(`${line()}: expected '${s}'`);
    i += s.length;
  };
  while (i < n) {
    if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      if (e < 0) throw new Error(`${line()}: comment not closed`);
      if (text.slice(i + 4, e).includes('--')) throw new Error(`${line()}: '--' inside a comment`);
      i = e + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      if (!stack.length) throw new Error(`${line()}: CDATA outside the root element`);
      const e = text.indexOf(']]>', i);
      if (e < 0) throw new Error(`${line()}: CDATA not closed`);
      stack[stack.length - 1]!.text += text.slice(i + 9, e);
      i = e + 3;
    } else if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i);
      if (e < 0) throw new Error(`${line()}: processing instruction not closed`);
      i = e + 2;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      if (root || stack.length) throw new Error(`${line()}: DOCTYPE after the root element started`);
      const e = text.indexOf('>', i);
      if (e < 0) throw new Error(`${line()}: DOCTYPE not closed`);
      i = e + 1;
    } else if (text.startsWith('</', i)) {
      i += 2;
      const m = NAME.exec(text.slice(i));
      if (!m) throw new Error(`${line()}: bad end-tag name`);
      i += m[0].length;
      while (/\s/.test(text[i] ?? '')) i++;
      expect('>');
      const open = stack.pop();
      if (!open) throw new Error(`${line()}: end tag </${m[0]}> without a start tag`);
      if (open.name !== m[0]) throw new Error(`${line()}: end tag </${m[0]}> does not match <${open.name}>`);
    } else if (text[i] === '<') {
      const start = i;
      i++;
      const m = NAME.exec(text.slice(i));
      if (!m) throw new Error(`${line()}: bad start-tag name`);
      i += m[0].length;
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      for (;;) {
        const ws = /^\s*/.exec(text.slice(i))![0].length;
        i += ws;
        if (text.startsWith('/>', i) || text[i] === '>') break;
        if (!ws) throw new Error(`${line()}: expected whitespace between attributes of <${el.name}>`);
        const a = NAME.exec(text.slice(i));
        if (!a) throw new Error(`${line()}: bad attribute in <${el.name}>`);
        i += a[0].length;
        while (/\s/.test(text[i] ?? '')) i++;
        expect('=');
        while (/\s/.test(text[i] ?? '')) i++;
        const q = text[i];
        if (q !== '"' && q !== "'") throw new Error(`${line()}: attribute ${a[0]} of <${el.name}> is not quoted`);
        const e = text.indexOf(q, i + 1);
        if (e < 0) throw new Error(`${line()}: attribute value not closed`);
        const raw = text.slice(i + 1, e);
        if (raw.includes('<')) throw new Error(`${line()}: '<' in attribute ${a[0]}`);
        if (a[0] in el.attrs) throw new Error(`${line()}: attribute ${a[0]} repeated in <${el.name}>`);
        el.attrs[a[0]] = decode(raw, () => line(start));
        i = e + 1;
      }
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) throw new Error(`${line()}: a second root element <${el.name}>`);
      else root = el;
      if (text.startsWith('/>', i)) i += 2;
      else {
        i += 1;
        stack.push(el);
      }
    } else {
      const e = text.indexOf('<', i);
      const chunk = text.slice(i, e < 0 ? n : e);
      if (!stack.length) {
        if (chunk.trim()) throw new Error(`${line()}: text outside the root element`);
      } else {
        if (chunk.includes(']]>')) throw new Error(`${line()}: ']]>' in text`);
        stack[stack.length - 1]!.text += decode(chunk, () => line());
      }
      i = e < 0 ? n : e;
    }
  }
  if (stack.length) throw new Error(`end of input: <${stack[stack.length - 1]!.name}> not closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** All elements of the tree in document order. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** Checks `text` with xmllint (--noout) when it is installed; returns undefined if it is absent, else its stderr. */
export function xmllint(text: string): string | undefined {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: text, encoding: 'utf8' });
  if (r.error) return undefined;
  return r.status === 0 ? '' : r.stderr || `xmllint exit ${r.status}`;
}
