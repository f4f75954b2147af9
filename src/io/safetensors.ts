/**
 * Reading and writing the safetensors format (an 8-byte little-endian header length, a JSON
 * header of name -> {dtype, shape, data_offsets}, then the raw little-endian data), so weights
 * move between r2end and the Python ecosystem. Floating tensors are read as float32.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { writeAtomic } from './atomic.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const floatDtypes = ['F32', 'F16', 'BF16', 'F64'] as const;
const dtypeBytes: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Reads every tensor of a .safetensors file as float32 (from F32, F16, BF16 or F64). */
export function readSafetensors(path: string): Map<string, NamedTensor> {
  return readSafetensorsFile(path).tensors;
}

/** The tensors of a .safetensors file (as readSafetensors) and its string metadata. */
export function readSafetensorsFile(path: string): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const fail = (what: string): never => {
    throw new UserError(`${path}: not a valid safetensors file (${what})`);
  };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) fail(`header length ${headerLength} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, NamedTensor>();
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (entry ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2)
      fail(`tensor '${name}' lacks dtype, shape or data_offsets`);
    if (!(floatDtypes as readonly string[]).includes(dtype!))
      throw new UserError(
        `${path}: tensor '${name}' has dtype ${dtype}, expected a floating type (${floatDtypes.join(', ')})`,
      );
    if (!shape!.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has an invalid shape`);
    const count = shape!.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets!;
    if (!(
      Number.isInteger(begin) &&
      Number.isInteger(end) &&
      begin >= 0 &&
      end >= begin &&
      dataStart + end <= bytes.length
    ))
      fail(`tensor '${name}' has data_offsets outside the file`);
    if (end - begin !== count * dtypeBytes[dtype!])
      fail(`tensor '${name}' holds ${end - begin} bytes, its shape and dtype need ${count * dtypeBytes[dtype!]}`);
    tensors.set(name, { shape: shape!, data: toFloat32(bytes, dataStart + begin, count, dtype!) });
  }
  return { tensors, metadata };
}

function toFloat32(bytes: Buffer, offset: number, count: number, dtype: string): Float32Array {
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      // A copy through a fresh buffer: the source offset need not be 4-byte aligned.
      new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = bytes.readDoubleLE(offset + 8 * i);
      break;
    case 'BF16': {
      const word = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) word[i] = bytes.readUInt16LE(offset + 2 * i) << 16;
      break;
    }
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(offset + 2 * i));
      break;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Writes float32 tensors (sorted by name) atomically, with optional string metadata. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, NamedTensor>,
  metadata: Record<string, string> = {},
): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor '${name}': ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the format aligns data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.byteLength;
  }
  writeAtomic(path, out);
}
