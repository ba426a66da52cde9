import { describe, expect, it } from 'vitest';
import { Lines, scanXml, XmlSyntaxError } from './xml-scan.js';

function events(xml: string): string[] {
  const out: string[] = [];
  scanXml(xml, {
    open: (name, attrs) => out.push(`<${name}${Object.entries(attrs).map(([k, v]) => ` ${k}=${v}`).join('')}>`),
    text: (t) => out.push(t),
    close: (name) => out.push(`</${name}>`),
  });
  return out;
}

function fault(xml: string): { message: string; where: string } {
  try {
    events(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) return { message: err.message, where: new Lines(xml).describe(err.offset) };
    throw err;
  }
  throw new Error('accepted');
}

describe('scanXml', () => {
  it('reports elements, attributes and text with entities, CDATA and comments', () => {
    expect(events(`<?xml version="1.0"?>\n<!-- c --><a x='1 > 0' y="&lt;&#65;&#x42;">t &amp; u<b/><![CDATA[<raw>]]></a >\n`)).toEqual([
      '<a x=1 > 0 y=<AB>', 't & u', '<b>', '</b>', '<raw>', '</a>',
    ]);
  });

  it('refuses what is not well-formed, naming line and column', () => {
    expect(fault('<a>\n<b></c>\n</a>')).toEqual({ message: 'end tag </c> does not match <b>', where: 'line 2, column 4' });
    expect(fault('<a>\n<b>')).toEqual({ message: '<b> is never closed (the file ends first)', where: 'line 2, column 4' });
    expect(fault('<a></a><b/>').message).toBe('a second root element <b>');
    expect(fault('x<a/>').message).toBe('text outside the root element');
    expect(fault('<!DOCTYPE a [<!ENTITY e "x">]><a/>').message).toContain('DOCTYPE');
    expect(fault('<a>&nbsp;</a>').message).toBe('unknown entity &nbsp;');
    expect(fault('<a>fish & chips</a>').message).toContain("'&' not followed");
    expect(fault('<a x=1/>').message).toBe('attribute x in <a> is not quoted');
    expect(fault('<a x="1" x="2"/>').message).toBe('attribute x repeated in <a>');
    expect(fault('<a>< b</a>').message).toBe("'<' not followed by an element name");
    expect(fault('').message).toBe('no root element');
  });
});
