/**
 * A scripted Engine for the orchestration tests: no network, no tfjs. Losses fall as 1/(1+step);
 * predictions threshold the raw grey value of the validation images (the synthetic data's classes
 * sit at 30-50 / 110-130 / 190-210), then a per-loss `miss` share of the rare class's pixels is
 * predicted as background and a few seed-dependent pixels are flipped (seed-to-seed noise).
 * Every step can advance an injected clock by an uneven, scripted amount.
 */
import type { LossName } from '../../src/contracts/losses.js';
import type { Engine, EngineSetup, RunSpec, StepPlan } from '../../src/engine/types.js';
import { createRng } from '../../src/verify/random.js';

export interface ScriptLog {
  setups: EngineSetup[];
  specs: RunSpec[];
  /** Per run id, every step plan it trained (crop plans, learning rate, progress). */
  steps: Map<string, StepPlan[]>;
  /** Run ids in the order their train() calls happened. */
  trainCalls: string[];
  disposedRuns: string[];
  disposedEngines: number;
  predictions: number;
}

export interface Script {
  /** Share of the rare class (class 2) each loss misses, 0..1 (default 0). */
  miss?: Partial<Record<LossName, number>>;
  /** A loss that returns NaN at this 1-based step of each of its runs. */
  nanAt?: Partial<Record<LossName, number>>;
  /** Fake time: seconds a step takes (runId, how many steps the engine has run so far), and a prediction. */
  time?: { now: number; stepSeconds: (runId: string, engineSteps: number) => number; predictSeconds?: number };
  /** Engine concurrency (default 1). */
  concurrency?: number;
  /** Backends the engine reports as not used. */
  skipped?: Engine['backend']['skipped'];
}

export const newScriptLog = (): ScriptLog => ({ setups: [], specs: [], steps: new Map(), trainCalls: [], disposedRuns: [], disposedEngines: 0, predictions: 0 });

export function scriptedEngine(log: ScriptLog, script: Script = {}) {
  return async (setup: EngineSetup): Promise<Engine> => {
    log.setups.push(setup);
    let engineSteps = 0;
    return {
      backend: { name: 'cpu', detail: 'scripted', threads: 1, skipped: script.skipped ?? [] },
      parameterCount: 1234,
      concurrency: script.concurrency ?? 1,
      async createRun(spec) {
        log.specs.push(spec);
        const done: StepPlan[] = [];
        if (spec.id !== 'calibration') log.steps.set(spec.id, done);
        return {
          id: spec.id,
          async train(steps, signal) {
            log.trainCalls.push(spec.id);
            const losses: number[] = [];
            for (const step of steps) {
              await new Promise((resolve) => setImmediate(resolve));
              if (signal?.aborted) break;
              done.push(step);
              engineSteps++;
              if (script.time) script.time.now += script.time.stepSeconds(spec.id, engineSteps);
              const n = done.length;
              losses.push(script.nanAt?.[spec.loss.name] === n ? Number.NaN : 1 / (1 + n));
            }
            return losses;
          },
          async predictValidation() {
            log.predictions++;
            if (script.time) script.time.now += script.time.predictSeconds ?? 0.001;
            const miss = script.miss?.[spec.loss.name] ?? 0;
            const images = spec.validation ? spec.validation.map((i) => setup.data.val[i]) : setup.data.val;
            return images.map((image, k) => {
              const rng = createRng(spec.seed * 1000 + k + 1);
              const out = new Uint8Array(image.labels.length);
              for (let i = 0; i < out.length; i++) {
                const v = image.pixels[i];
                let c = v > 160 ? 2 : v > 80 ? 1 : 0;
                if (c === 2 && rng.next() < miss) c = 0;
                if (rng.next() < 0.01) c = 0;
                out[i] = c;
              }
              return out;
            });
          },
          async dispose() {
            log.disposedRuns.push(spec.id);
          },
        };
      },
      async dispose() {
        log.disposedEngines++;
      },
    };
  };
}
