/**
 * Decoding of Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), which kubectl
 * sends for `create job|secret|namespace`: the magic `k8s\0`, then a runtime.Unknown wrapping the object.
 * Field numbers come from the schema; fields the schema does not know are skipped.
 */
import protobuf from 'protobufjs/minimal.js';
import { timestamp } from './meta.js';
import type { FieldSpec, MessageSpec } from './schema.js';

const { Reader } = protobuf;
type ProtoReader = InstanceType<typeof Reader>;

const MAGIC = Buffer.from('k8s\0', 'latin1');
const LENGTH_DELIMITED = 2;

export class ProtobufError extends Error {}

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Record<string, any>;
}

function toNumber(value: number | { toString(): string }): number {
  return typeof value === 'number' ? value : Number(value.toString());
}

/** Walks the fields of one message up to `end`, handing each tag to `readField`. */
function readFields(reader: ProtoReader, end: number, readField: (fieldNumber: number, wireType: number) => void): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    readField(tag >>> 3, tag & 7);
  }
}

function subReader(reader: ProtoReader): { reader: ProtoReader; end: number } {
  const length = reader.uint32();
  return { reader, end: reader.pos + length };
}

function readTime(reader: ProtoReader): string | undefined {
  const { end } = subReader(reader);
  let seconds = 0;
  readFields(reader, end, (no, wire) => {
    if (no === 1) seconds = toNumber(reader.int64());
    else reader.skipType(wire);
  });
  return seconds ? timestamp(seconds * 1000) : undefined;
}

function readQuantity(reader: ProtoReader): string {
  const { end } = subReader(reader);
  let value = '';
  readFields(reader, end, (no, wire) => {
    if (no === 1) value = reader.string();
    else reader.skipType(wire);
  });
  return value;
}

const SKIPPED = Symbol('skipped');

function readValue(reader: ProtoReader, spec: FieldSpec, wireType: number): unknown {
  const type = spec.type;
  if (typeof type === 'object') return readMessage(reader, type);
  switch (type) {
    case 'string':
      return reader.string();
    case 'int32':
      return reader.int32();
    case 'int64':
      return toNumber(reader.int64());
    case 'bool':
      return reader.bool();
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    case 'time':
      return readTime(reader) ?? SKIPPED;
    case 'quantity':
      return readQuantity(reader);
    case 'any':
      reader.skipType(wireType);
      return SKIPPED;
  }
}

function readMapEntry(reader: ProtoReader, spec: FieldSpec): [string, unknown] {
  const { end } = subReader(reader);
  let key = '';
  let value: unknown = spec.type === 'bytes' || spec.type === 'string' || spec.type === 'quantity' ? '' : undefined;
  readFields(reader, end, (no, wire) => {
    if (no === 1) key = reader.string();
    else if (no === 2) value = readValue(reader, spec, wire);
    else reader.skipType(wire);
  });
  return [key, value];
}

/** Go's protobuf marshaller writes non-pointer zero values; JSON would have omitted them. */
function isDroppedZero(spec: FieldSpec, value: unknown): boolean {
  return !spec.pointer && (value === '' || value === 0 || value === false);
}

function readMessage(reader: ProtoReader, spec: MessageSpec): Record<string, unknown> {
  const { end } = subReader(reader);
  return readMessageUntil(reader, end, spec);
}

function readMessageUntil(reader: ProtoReader, end: number, spec: MessageSpec): Record<string, unknown> {
  const byNumber = new Map<number, [string, FieldSpec]>();
  for (const [name, f] of Object.entries(spec.fields)) if (f.proto !== undefined) byNumber.set(f.proto, [name, f]);
  const out: Record<string, any> = {};
  readFields(reader, end, (no, wire) => {
    const entry = byNumber.get(no);
    if (!entry) {
      reader.skipType(wire);
      return;
    }
    const [name, f] = entry;
    if (f.map) {
      const [key, value] = readMapEntry(reader, f);
      if (value !== SKIPPED) (out[name] ??= {})[key] = value;
      return;
    }
    const value = readValue(reader, f, wire);
    if (value === SKIPPED) return;
    if (f.list) (out[name] ??= []).push(value);
    else if (f.inline) Object.assign(out, value);
    else if (!isDroppedZero(f, value)) out[name] = value;
  });
  return out;
}

/** Decodes a request body; `schemaFor` names the schema of the wrapped object's kind. */
export function decodeKubernetesProtobuf(body: Buffer, schemaFor: (apiVersion: string, kind: string) => MessageSpec | undefined): DecodedObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  const reader = Reader.create(body.subarray(MAGIC.length));
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  readFields(reader, reader.len, (no, wire) => {
    if (no === 1 && wire === LENGTH_DELIMITED) {
      const { end } = subReader(reader);
      readFields(reader, end, (inner, innerWire) => {
        if (inner === 1) apiVersion = reader.string();
        else if (inner === 2) kind = reader.string();
        else reader.skipType(innerWire);
      });
    } else if (no === 2) raw = reader.bytes();
    else reader.skipType(wire);
  });
  const spec = schemaFor(apiVersion, kind);
  if (!spec) throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  const rawReader = Reader.create(raw ?? new Uint8Array());
  const object = { apiVersion, kind, ...readMessageUntil(rawReader, rawReader.len, spec) };
  return { apiVersion, kind, object };
}
