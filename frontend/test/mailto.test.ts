import { describe, expect, it } from 'vitest';
import { mailtoHref } from '../src/dom';

/** What a mail client reads from the link: the recipients and the header fields of the query. */
function parsed(href: string): { to: string; query: string; hash: string } {
  const url = new URL(href);
  return { to: decodeURIComponent(url.pathname), query: url.search, hash: url.hash };
}

describe('mailtoHref', () => {
  it('links a plain address as it is', () => {
    expect(mailtoHref('contact@repaircafe-croixrousse.example.org')).toBe('mailto:contact@repaircafe-croixrousse.example.org');
    expect(mailtoHref(' jean.dupont+carte@example.org ')).toBe('mailto:jean.dupont%2Bcarte@example.org');
  });

  it('cannot add headers, recipients or a body', () => {
    const address = 'a?cc=evil@x.org&body=hi@example.org';
    const href = mailtoHref(address);
    expect(href).toBe('mailto:a%3Fcc%3Devil@x.org%26body%3Dhi@example.org');
    expect(href).not.toMatch(/[?&=#,\s]/);
    expect(parsed(href)).toEqual({ to: address, query: '', hash: '' });
  });

  it('encodes every character that could end the address', () => {
    for (const address of [
      'a@x.org?subject=spam',
      'a@x.org#frag',
      'a@x.org%3Fcc=evil@y.org',
      'a@x.org,evil@y.org',
      'a@x.org;evil@y.org',
      'a@x.org\r\nBcc: evil@y.org',
      'a@x.org&bcc=evil@y.org',
      'a@x.org/../?to=evil@y.org',
      'élise@exemple.fr',
      'broken\uD800@x.org',
    ]) {
      const href = mailtoHref(address);
      expect(href.slice('mailto:'.length), address).toMatch(/^[A-Za-z0-9@._~!*'()%-]+$/);
      const { to, query, hash } = parsed(href);
      expect(query, address).toBe('');
      expect(hash, address).toBe('');
      expect(to, address).toBe(address.trim().replace('\uD800', '\uFFFD'));
    }
  });
});
