/**
 * Validation of loss specs against LOSS_CATALOGUE and of the loss context, at construction time,
 * with messages that name the loss and the parameter.
 */
import { LOSS_CATALOGUE, LOSS_NAMES, type LossContext, type LossName, type LossParamSpec, type LossParamValue, type LossSpec } from '../contracts/losses.js';
import { UserError } from '../common/errors.js';

export type ResolvedLossParams = Record<string, LossParamValue>;

function isLossName(name: unknown): name is LossName {
  return typeof name === 'string' && Object.hasOwn(LOSS_CATALOGUE, name);
}

/** The spec's parameters with every default filled in; throws UserError on anything invalid. */
export function resolveLossParams(spec: LossSpec): ResolvedLossParams {
  if (!spec || typeof spec !== 'object') throw new UserError('loss spec must be an object like {"name": "dice", "params": {}}');
  if (!isLossName(spec.name)) {
    throw new UserError(`unknown loss "${String(spec.name)}"`, { fix: `use one of: ${LOSS_NAMES.join(', ')}` });
  }
  const catalogue = LOSS_CATALOGUE[spec.name].params;
  const given = spec.params ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new UserError(`loss "${spec.name}": params must be an object`);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(catalogue, key)) {
      const known = Object.keys(catalogue);
      throw new UserError(`loss "${spec.name}": unknown parameter "${key}"`, {
        fix: known.length ? `parameters of ${spec.name}: ${known.join(', ')}` : `${spec.name} takes no parameters`,
      });
    }
  }
  const resolved: ResolvedLossParams = {};
  for (const [key, paramSpec] of Object.entries(catalogue)) {
    const value = Object.hasOwn(given, key) ? given[key] : paramSpec.default;
    checkParam(spec.name, key, value, paramSpec);
    resolved[key] = value;
  }
  return resolved;
}

function checkParam(loss: LossName, key: string, value: LossParamValue, spec: LossParamSpec): void {
  const where = `loss "${loss}": parameter "${key}"`;
  if (value === null || value === undefined) {
    if (spec.nullable) return;
    throw new UserError(`${where} must not be null`, { fix: `default: ${JSON.stringify(spec.default)}` });
  }
  if (spec.type === 'boolean') {
    if (typeof value !== 'boolean') throw new UserError(`${where} must be true or false, got ${JSON.stringify(value)}`);
    return;
  }
  if (spec.type === 'enum') {
    if (typeof value !== 'string' || !spec.values?.includes(value)) {
      throw new UserError(`${where} must be one of ${spec.values?.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`);
    }
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new UserError(`${where} must be a finite number, got ${JSON.stringify(value)}`);
  const low = spec.min === undefined ? null : spec.exclusiveMin ? `> ${spec.min}` : `>= ${spec.min}`;
  const belowMin = spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min);
  const aboveMax = spec.max !== undefined && value > spec.max;
  if (belowMin || aboveMax) {
    const range = [low, spec.max === undefined ? null : `<= ${spec.max}`].filter(Boolean).join(' and ');
    throw new UserError(`${where} must be ${range}, got ${value}`, { fix: `${spec.description} Default: ${JSON.stringify(spec.default)}.` });
  }
}

/** Checks the context a loss is built with (class count, ignore index, class weights, scale-aware bins). */
export function validateLossContext(loss: LossName, context: LossContext): void {
  const where = `loss "${loss}"`;
  const { numClasses, ignoreIndex, classWeights, scaleAware } = context;
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new UserError(`${where}: numClasses must be an integer >= 2 (background + at least one class), got ${numClasses}`);
  }
  if (ignoreIndex !== null && !Number.isInteger(ignoreIndex)) throw new UserError(`${where}: ignoreIndex must be an integer or null, got ${ignoreIndex}`);
  if (classWeights !== null) {
    if (!Array.isArray(classWeights) || classWeights.length !== numClasses) {
      throw new UserError(`${where}: classWeights must have one weight per class (${numClasses}), got ${Array.isArray(classWeights) ? classWeights.length : typeof classWeights}`);
    }
    const bad = classWeights.findIndex((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0);
    if (bad !== -1) throw new UserError(`${where}: classWeights[${bad}] must be a finite number >= 0, got ${classWeights[bad]}`);
    if (!classWeights.some((w) => w > 0)) throw new UserError(`${where}: classWeights are all zero; at least one class needs a positive weight`);
  }
  if (scaleAware !== null) {
    const { binEdges, binWeights } = scaleAware;
    if (!Array.isArray(binEdges) || binEdges.length === 0 || binEdges.some((e, i) => !Number.isFinite(e) || e <= 0 || (i > 0 && e <= binEdges[i - 1]))) {
      throw new UserError(`${where}: scaleAware.binEdges must be strictly increasing positive pixel areas, got ${JSON.stringify(binEdges)}`);
    }
    if (!Array.isArray(binWeights) || binWeights.length !== binEdges.length + 1) {
      throw new UserError(`${where}: scaleAware.binWeights needs one weight per bin (${binEdges.length + 1} for ${binEdges.length} edges), got ${JSON.stringify(binWeights)}`, {
        fix: 'the last bin holds areas >= the last edge; list weights smallest-area bin first',
      });
    }
    if (binWeights.some((w) => !Number.isFinite(w) || w < 0)) throw new UserError(`${where}: scaleAware.binWeights must be finite numbers >= 0, got ${JSON.stringify(binWeights)}`);
  }
}
