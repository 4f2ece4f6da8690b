import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { MASK, maskSecrets, SecretMasker } from './mask-secrets.js';

async function masked(chunks: Array<string | Buffer>, secrets: string[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(maskSecrets(secrets))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString();
}

const SECRET = 'wJalrXUtnFEMI/K7MDENG';
const TOKEN = 'FwoGZXIvYXdzEBYaDH';
const LOG = `Started\nAWS_SECRET_ACCESS_KEY: ${SECRET}\nAWS_SESSION_TOKEN: ${TOKEN}\nagain ${SECRET}${SECRET}\nSUCCESS\n`;
const EXPECTED = `Started\nAWS_SECRET_ACCESS_KEY: ${MASK}\nAWS_SESSION_TOKEN: ${MASK}\nagain ${MASK}${MASK}\nSUCCESS\n`;

describe('maskSecrets', () => {
  it('masks every occurrence of every secret', async () => {
    expect(await masked([LOG], [SECRET, TOKEN])).toBe(EXPECTED);
  });

  it('masks a secret split across chunks, at every split point', async () => {
    for (let split = 0; split <= LOG.length; split++) {
      expect({ split, text: await masked([LOG.slice(0, split), LOG.slice(split)], [SECRET, TOKEN]) }).toEqual({ split, text: EXPECTED });
    }
  });

  it('masks secrets arriving a byte at a time', async () => {
    expect(await masked([...Buffer.from(LOG)].map((byte) => Buffer.from([byte])), [SECRET, TOKEN])).toBe(EXPECTED);
  });

  it('keeps multi-byte characters whole, wherever the chunks split them', async () => {
    const text = `é ${SECRET} ü→✓`;
    const bytes = Buffer.from(text);
    for (let split = 0; split <= bytes.length; split++) {
      expect(await masked([bytes.subarray(0, split), bytes.subarray(split)], [SECRET])).toBe(`é ${MASK} ü→✓`);
    }
  });

  it('masks the longer of two overlapping secrets, and a secret at the very end', async () => {
    expect(await masked(['key=abcdef and abc', 'def'], ['abc', 'abcdef'])).toBe(`key=${MASK} and ${MASK}`);
    expect(await masked(['tail ', SECRET.slice(0, 3)], [SECRET])).toBe(`tail ${SECRET.slice(0, 3)}`);
  });

  it('passes the log through unchanged when there is nothing to mask', async () => {
    expect(await masked(['a', 'b'], [])).toBe('ab');
    expect(await masked(['a', 'b'], [''])).toBe('ab');
  });
});

describe('SecretMasker', () => {
  it('releases every whole line at once, and holds back only the unfinished one', () => {
    const masker = new SecretMasker([SECRET]);
    expect(masker.push(Buffer.from('Started\nkey '))).toEqual(Buffer.from('Started\n'));
    expect(masker.push(Buffer.from(`${SECRET}\nmo`)).toString()).toBe(`key ${MASK}\n`);
    expect(masker.end().toString()).toBe('mo');
  });

  it('masks the same wherever the pieces split, with line breaks released early', () => {
    const whole = new SecretMasker([SECRET, TOKEN]);
    const expected = Buffer.concat([whole.push(Buffer.from(LOG)), whole.end()]).toString();
    for (let split = 0; split <= LOG.length; split++) {
      const masker = new SecretMasker([SECRET, TOKEN]);
      const text = Buffer.concat([masker.push(Buffer.from(LOG.slice(0, split))), masker.push(Buffer.from(LOG.slice(split))), masker.end()]).toString();
      expect({ split, text }).toEqual({ split, text: expected });
    }
  });
});
