/**
 * Raw float32 memory of tensors inside a kernel, on the wasm backend (views of the wasm heap) and
 * on the cpu backend (its JS arrays), for the project's JS kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export interface KernelMemory {
  inputs: Float32Array[];
  outputs: Float32Array[];
  /** The outputs to return from the kernel. */
  infos: tf.TensorInfo[];
}

/**
 * Allocates float32 outputs of the given shapes, then returns views of inputs and outputs.
 * On wasm the views are taken after every allocation (a growing heap detaches older views), so
 * allocate nothing else while using them.
 */
export function kernelMemory(backend: tf.KernelBackend, inputs: tf.TensorInfo[], outputShapes: number[][]): KernelMemory {
  for (const input of inputs) {
    if (input.dtype !== 'float32') throw new Error(`segloss kernel expects float32 inputs, got ${input.dtype}`);
  }
  if (tf.getBackend() === 'wasm') {
    const wasm = backend as unknown as BackendWasm;
    const infos = outputShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    const view = (info: tf.TensorInfo) => wasm.typedArrayFromHeap(info) as Float32Array;
    return { inputs: inputs.map(view), outputs: infos.map(view), infos };
  }
  const cpu = backend as unknown as {
    readSync(dataId: object): Float32Array;
    makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  };
  const outputs = outputShapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  return {
    inputs: inputs.map((info) => cpu.readSync(info.dataId)),
    outputs,
    infos: outputShapes.map((shape, i) => cpu.makeTensorInfo(shape, 'float32', outputs[i])),
  };
}
