// The computation of `train-inverse` (../train-inverse.ts is its definition): the inverse
// matrices trained with Adagrad on the seed's loss. Imported only when the stage runs, as it
// loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { l1Distance, rangeExcess } from 'mlpipe/sdk/losses';
import { asClassifier, expectPixels, hiddenPre, hiddenSizes, invertTrace, type Classifier, type Inverse } from '../shared/mlp.js';
import { adagradLoop, BatchSampler, logSteps, release, truncatedWeight } from 'mlpipe/sdk/training';
import type { TrainInverseParams } from '../train-inverse.js';

/** zN (the last hidden pre-activation) of trainX[kept], in chunks so the gathered pixels never exist all at once. */
function keptHiddenPre(model: Classifier, trainX: tf.Tensor2D, kept: Int32Array, rows = 10000): tf.Tensor2D {
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < kept.length; start += rows) {
      const idx = kept.subarray(start, start + rows);
      parts.push(tf.tidy(() => hiddenPre(model, tf.gather(trainX, tf.tensor1d(idx, 'int32')))));
    }
    return tf.concat(parts, 0) as tf.Tensor2D;
  } finally {
    tf.dispose(parts);
  }
}

export async function run(ctx: StageContext<TrainInverseParams>): Promise<StageResult> {
  const p = ctx.params;
  const model = asClassifier(ctx.inputs.model, 'train-inverse');
  const trainX = ctx.inputs.data.trainX as tf.Tensor2D;
  const kept = ctx.inputs.kept.indices.dataSync() as Int32Array;
  if (kept.length === 0) {
    throw new Error('train-inverse: the confidence filter kept no samples; lower its threshold');
  }
  const n = trainX.shape[0];
  const outside = kept.findIndex((i) => i < 0 || i >= n);
  if (outside >= 0) {
    throw new Error(
      `train-inverse: kept index ${kept[outside]} is outside the ${n} training samples of input "data"; ` +
        'input "kept" must come from a filter of the same data set',
    );
  }
  expectPixels('train-inverse', model, trainX);
  // wkinv [Hk, H(k-1)] (H0 = pixels), made and drawn from the rng from the last layer back:
  // w2inv then w1inv for the seed's two layers, as the seed (and this stage before any depth).
  const sizes = [trainX.shape[1], ...hiddenSizes(model)];
  const vars: Record<string, tf.Variable> = {};
  try {
    for (let k = model.hidden.length; k >= 1; k--) vars[`w${k}inv`] = truncatedWeight([sizes[k], sizes[k - 1]], p.stddev, ctx.rng);
  } catch (err) {
    tf.dispose(Object.values(vars));
    throw err;
  }
  const inv: Inverse = { back: model.hidden.map((_, i) => vars[`w${i + 1}inv`] as tf.Tensor2D) };
  const sampler = new BatchSampler(kept.length, p.batch, ctx.rng);
  let x: tf.Tensor2D | undefined;
  let zN: tf.Tensor2D | undefined;
  let losses: number[];
  let zNKept: tf.Tensor2D | undefined;
  try {
    // The classifier is fixed while the inverse trains, so each kept sample's last hidden
    // pre-activation is computed once here rather than once per step: a 784-wide matMul saved
    // per step. It is data, not something to differentiate: the tape never sees it.
    zNKept = keptHiddenPre(model, trainX, kept);
    losses = await adagradLoop(
      ctx,
      Object.values(vars),
      p,
      () => {
        const { pixels, squashed } = invertTrace(model, inv, zN!);
        const similarity = l1Distance(x!)(pixels);
        if (squashed.length === 0) return similarity; // one hidden layer: nothing through logit
        // tf.nn.l2_loss(t) = sum(t^2)/2, of the global min and of the global max of l_inv - 1,
        // for each projection that goes through logit(squash(.)), summed from the last layer's
        // down. For two layers this is the seed's excess_l1_inv, in the same order of ops
        // (rangeExcess keeps the bits of its tfjs-op formula).
        let excess: tf.Tensor | undefined;
        for (const l of squashed) {
          const e = rangeExcess(l);
          excess = excess === undefined ? e : tf.add(excess, e);
        }
        return tf.add(similarity, excess!) as tf.Scalar;
      },
      // In a tidy: the batch survives (the loop disposes it after the step), the indices do not.
      () =>
        tf.tidy(() => {
          const rows = sampler.next();
          const idx = tf.tensor1d(
            Int32Array.from(rows, (r) => kept[r]),
            'int32',
          );
          x = tf.gather(trainX, idx);
          zN = tf.gather(zNKept!, tf.tensor1d(rows, 'int32'));
          return [x, zN];
        }),
    );
  } catch (err) {
    tf.dispose(Object.values(vars));
    throw err;
  } finally {
    zNKept?.dispose();
  }
  return {
    outputs: { inverse: release(vars) },
    metrics: { loss: losses, lossStep: logSteps(p.steps, p.logEvery), finalLoss: losses[losses.length - 1], kept: kept.length },
  };
}
