import { getMetadataStorage } from 'class-validator';

/** @nestjs/swagger's metadata key of @ApiProperty (API_MODEL_PROPERTIES, not exported). */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';
const ONLY_WITH = 'lms:onlyWith';

/**
 * The property is validated (ValidateIf) only when `other` is sent and ignored otherwise, so the
 * document states its type but none of its limits (which do not hold when it is ignored).
 */
export function ValidatedOnlyWith(other: string): PropertyDecorator {
  return (target, key) => Reflect.defineMetadata(ONLY_WITH, other, target, key);
}

/** A property's @ApiProperty metadata, as @nestjs/swagger stores it (the subset this module writes). */
type PropertyMetadata = Record<string, unknown>;

/** A class-validator constraint as stored (built-ins and ValidateBy decorators both carry a name). */
interface ValidationEntry {
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

/** Where a constraint goes: on the property, or (for `{ each: true }` on an array) on its items. */
interface Facts {
  type?: string;
  format?: string;
  enum?: unknown[];
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  isArray?: boolean;
}

/** An unresolved design type (`T | null` compiles to Object): the schema then says `type: object`. */
function isUntyped(type: unknown): boolean {
  return type === undefined || type === Object || type === 'object';
}

function factsOf(entries: readonly ValidationEntry[]): { own: Facts; items: Facts } {
  const own: Facts = {};
  const items: Facts = {};
  for (const v of entries) {
    const c = v.constraints ?? [];
    const f = v.each ? items : own;
    switch (v.name) {
      case 'isString':
      case 'isEmail':
      case 'isUrl':
      case 'matches':
        f.type ??= 'string';
        break;
      case 'isUuid':
      case 'isUUID':
        f.type = 'string';
        f.format = 'uuid';
        f.maxLength ??= 36;
        f.minLength ??= 36;
        break;
      case 'isDateString':
      case 'isIso8601':
      case 'isISO8601':
        f.type = 'string';
        f.format ??= 'date-time';
        break;
      case 'isInt':
        f.type = 'integer';
        break;
      case 'isNumber':
        f.type ??= 'number';
        break;
      case 'isBoolean':
        f.type = 'boolean';
        break;
      case 'isIn':
        if (Array.isArray(c[0])) f.enum = c[0] as unknown[];
        break;
      case 'isEnum':
        if (c[0] && typeof c[0] === 'object') f.enum = Object.values(c[0] as object);
        break;
      case 'maxLength':
        if (typeof c[0] === 'number') f.maxLength = c[0];
        f.type ??= 'string';
        break;
      case 'minLength':
        if (typeof c[0] === 'number') f.minLength = c[0];
        f.type ??= 'string';
        break;
      case 'isLength':
        if (typeof c[0] === 'number') f.minLength = c[0];
        if (typeof c[1] === 'number') f.maxLength = c[1];
        f.type ??= 'string';
        break;
      case 'min':
        if (typeof c[0] === 'number') f.minimum = c[0];
        break;
      case 'max':
        if (typeof c[0] === 'number') f.maximum = c[0];
        break;
      case 'arrayMaxSize':
        if (typeof c[0] === 'number') own.maxItems = c[0];
        own.isArray = true;
        break;
      case 'arrayMinSize':
        if (typeof c[0] === 'number') own.minItems = c[0];
        own.isArray = true;
        break;
      case 'arrayUnique':
        own.uniqueItems = true;
        own.isArray = true;
        break;
      case 'isArray':
        own.isArray = true;
        break;
      default:
        break;
    }
  }
  return { own, items };
}

/** Copies a fact only where the @ApiProperty metadata says nothing (an explicit declaration wins). */
function fill(target: PropertyMetadata, facts: Facts, keys: ReadonlyArray<keyof Facts>): void {
  for (const key of keys) {
    if (facts[key] !== undefined && target[key] === undefined) target[key] = facts[key];
  }
}

/** The validators that only say what type a value has (kept for conditionally validated properties). */
const TYPE_VALIDATORS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray']);

const SCALAR_KEYS = ['format', 'maxLength', 'minLength', 'minimum', 'maximum'] as const;

/**
 * Writes what the class-validator decorators of a property enforce into its @ApiProperty metadata,
 * so that the OpenAPI document states the same limits as the validators (one source):
 * the real type of a `T | null` property (documented as `object` otherwise), integer vs number,
 * UUID format, enums from IsIn/IsEnum, maxLength/minLength from MaxCodePoints/MinCodePoints/
 * CodePointLength, minimum/maximum from Min/Max, maxItems/minItems/uniqueItems from the Array*
 * decorators, and for `{ each: true }` constraints the same on the array's items. Only properties
 * that carry @ApiProperty are touched (undocumented properties stay undocumented), and a value the
 * @ApiProperty gives explicitly is kept. A property marked ValidatedOnlyWith(other) gets its type
 * only: its limits do not hold when it is ignored.
 * Idempotent: safe to call for every document built.
 */
export function applyValidationToApiProperties(): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas?: unknown };
  const byTarget = storage.validationMetadatas;
  if (!(byTarget instanceof Map)) return;
  for (const [target, entries] of byTarget as Map<unknown, ValidationEntry[]>) {
    if (typeof target !== 'function') continue;
    const prototype = (target as { prototype: object }).prototype;
    const byProperty = new Map<string, ValidationEntry[]>();
    for (const entry of entries) {
      byProperty.set(entry.propertyName, [...(byProperty.get(entry.propertyName) ?? []), entry]);
    }
    for (const [property, validators] of byProperty) {
      const current = Reflect.getMetadata(API_MODEL_PROPERTIES, prototype, property) as PropertyMetadata | undefined;
      if (!current) continue;
      const next: PropertyMetadata = { ...current };
      // A property read only together with another one (ValidatedOnlyWith, e.g. current_password
      // with password) is not limited when it is ignored: only its type is documented.
      const conditional = Reflect.getMetadata(ONLY_WITH, prototype, property) !== undefined;
      const { own, items } = factsOf(
        conditional ? validators.filter((v) => TYPE_VALIDATORS.has(v.name ?? '')) : validators,
      );
      const isArray = next.isArray === true || next.type === 'array' || own.isArray === true;
      if (isArray) {
        fill(next, own, ['maxItems', 'minItems', 'uniqueItems']);
        if (isUntyped(next.type) && items.type) next.type = items.type;
        if (next.isArray !== true && next.type !== 'array') next.isArray = true;
        // Scalar modifiers of an array property describe its items (@nestjs/swagger moves them there).
        if (next.items && typeof next.items === 'object') {
          const itemSchema = { ...(next.items as PropertyMetadata) };
          fill(itemSchema, items, [...SCALAR_KEYS, 'enum']);
          next.items = itemSchema;
        } else {
          fill(next, items, SCALAR_KEYS);
          if (items.enum && next.enum === undefined) next.enum = items.enum;
        }
      } else if (next.oneOf === undefined && next.allOf === undefined && next.$ref === undefined) {
        if (isUntyped(next.type) && own.type) next.type = own.type;
        if (isUntyped(next.type) && own.enum?.every((v) => typeof v === 'string')) next.type = 'string';
        if (next.type === Number && own.type === 'integer') next.type = 'integer';
        fill(next, own, [...SCALAR_KEYS, 'enum']);
      }
      Reflect.defineMetadata(API_MODEL_PROPERTIES, next, prototype, property);
    }
  }
}
