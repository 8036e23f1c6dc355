import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox, UnreadableSecretError } from '../../src/domain/secret-box.js';

const MASTER = Buffer.alloc(32, 0x42);
const box = new SecretBox(MASTER);

/** Replaces one base64url field of `v1:iv:tag:body` after transforming its bytes. */
function alterField(sealed: string, index: 1 | 2 | 3, change: (bytes: Buffer) => Buffer): string {
  const parts = sealed.split(':');
  parts[index] = change(Buffer.from(parts[index], 'base64url')).toString('base64url');
  return parts.join(':');
}

const flipFirstBit = (bytes: Buffer): Buffer => {
  const copy = Buffer.from(bytes);
  copy[0] ^= 0x01;
  return copy;
};

describe('SecretBox seal and open', () => {
  test('open gives back what seal was given', () => {
    for (const plain of ['api-key-123', '', 'ünïcödé 密钥 🔑', 'x'.repeat(10_000)]) {
      assert.equal(box.open(box.seal(plain)), plain);
    }
  });

  test('another box with the same master key opens it', () => {
    assert.equal(new SecretBox(Buffer.from(MASTER)).open(box.seal('shared')), 'shared');
  });

  test('the sealed text does not contain the plain text', () => {
    const plain = 'my-very-recognisable-api-key';
    const sealed = box.seal(plain);
    assert.ok(!sealed.includes(plain));
    assert.ok(!sealed.includes(Buffer.from(plain).toString('base64url')));
    assert.ok(!sealed.includes(Buffer.from(plain).toString('hex')));
  });

  test('sealing the same text twice gives different sealed texts (random IV)', () => {
    assert.notEqual(box.seal('same'), box.seal('same'));
  });

  test('the sealed form is versioned as v1 with three more fields', () => {
    const parts = box.seal('abc').split(':');
    assert.equal(parts.length, 4);
    assert.equal(parts[0], 'v1');
  });

  test('a tampered ciphertext makes open throw', () => {
    assert.throws(() => box.open(alterField(box.seal('api-key'), 3, flipFirstBit)));
  });

  test('a tampered auth tag makes open throw', () => {
    assert.throws(() => box.open(alterField(box.seal('api-key'), 2, flipFirstBit)));
  });

  test('a tampered IV makes open throw', () => {
    assert.throws(() => box.open(alterField(box.seal('api-key'), 1, flipFirstBit)));
  });

  test('a truncated auth tag makes open throw', () => {
    assert.throws(() => box.open(alterField(box.seal('api-key'), 2, (tag) => tag.subarray(0, 4))));
    assert.throws(() => box.open(alterField(box.seal('api-key'), 2, (tag) => tag.subarray(0, 12))));
  });

  test('a box with a different key cannot open it', () => {
    const other = new SecretBox(randomBytes(32));
    assert.throws(() => other.open(box.seal('api-key')));
  });

  test('malformed sealed texts make open throw', () => {
    const sealed = box.seal('api-key');
    for (const bad of ['', 'plain-api-key', 'v1', 'v1:aa', 'v1:aa:bb', sealed.replace(/^v1/, 'v2')]) {
      assert.throws(() => box.open(bad), Error, JSON.stringify(bad));
    }
  });

  test('a master key that is not 32 bytes is refused', () => {
    assert.throws(() => new SecretBox(Buffer.alloc(31)), RangeError);
    assert.throws(() => new SecretBox(Buffer.alloc(33)), RangeError);
  });
});

describe('SecretBox.deriveKey', () => {
  test('is deterministic for one master key and purpose', () => {
    assert.equal(box.deriveKey('sandbox'), new SecretBox(Buffer.from(MASTER)).deriveKey('sandbox'));
  });

  test('differs by purpose', () => {
    assert.notEqual(box.deriveKey('sandbox'), box.deriveKey('sessions'));
  });

  test('differs from the master key in every common encoding', () => {
    const derived = box.deriveKey('sandbox');
    for (const encoding of ['hex', 'base64', 'base64url', 'latin1'] as const) {
      assert.notEqual(derived, MASTER.toString(encoding));
    }
  });

  test('differs between master keys', () => {
    assert.notEqual(box.deriveKey('sandbox'), new SecretBox(Buffer.alloc(32, 0x43)).deriveKey('sandbox'));
  });

  test('is 64 lowercase hex characters', () => {
    assert.match(box.deriveKey('sandbox'), /^[0-9a-f]{64}$/);
  });
});

describe('SecretBox during a key rotation', () => {
  const oldMaster = Buffer.alloc(32, 0x11);
  const newMaster = Buffer.alloc(32, 0x22);

  test('a box with the previous key opens secrets sealed with either, and seals with the new one', () => {
    const sealedOld = new SecretBox(oldMaster).seal('old secret');
    const rotating = new SecretBox(newMaster, oldMaster);
    assert.equal(rotating.open(sealedOld), 'old secret');
    const sealedNew = rotating.seal('new secret');
    assert.equal(new SecretBox(newMaster).open(sealedNew), 'new secret');
    assert.throws(() => new SecretBox(oldMaster).open(sealedNew), UnreadableSecretError);
  });

  test('a key that opens nothing fails with UnreadableSecretError', () => {
    const sealed = new SecretBox(oldMaster).seal('x');
    assert.throws(() => new SecretBox(newMaster).open(sealed), UnreadableSecretError);
    assert.throws(() => new SecretBox(newMaster, Buffer.alloc(32, 0x33)).open(sealed), UnreadableSecretError);
  });

  test('fingerprints name keys without revealing them, and differ between keys', () => {
    const box = new SecretBox(newMaster, oldMaster);
    assert.match(box.fingerprint(), /^[0-9a-f]{16}$/);
    assert.equal(box.fingerprint(), new SecretBox(newMaster).fingerprint());
    assert.equal(box.previousFingerprint(), new SecretBox(oldMaster).fingerprint());
    assert.notEqual(box.fingerprint(), box.previousFingerprint());
    assert.ok(!newMaster.toString('hex').includes(box.fingerprint()));
    assert.equal(new SecretBox(newMaster).previousFingerprint(), undefined);
  });
});
