// The computation of `train-classifier` (../train-classifier.ts is its definition): Adagrad on
// summed softmax cross-entropy. Imported only when the stage runs, as it loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { CLASSES } from '../shared/classes.js';
import { accuracy, asClassifier, logits } from '../shared/mlp.js';
import { softmaxCrossEntropy } from 'mlpipe/sdk/losses';
import { adagradLoop, BatchSampler, logSteps, constantVariable, release, truncatedWeight } from 'mlpipe/sdk/training';
import type { TrainClassifierParams } from '../train-classifier.js';

export async function run(ctx: StageContext<TrainClassifierParams>): Promise<StageResult> {
  const p = ctx.params;
  const { trainX, trainY, testX, testY } = ctx.inputs.data as Record<string, tf.Tensor>;
  const x = trainX as tf.Tensor2D;
  const classes = CLASSES;
  // Made, and drawn from the rng, in the order w1, b1, w2, b2, ..., wN, bN, w, b: for the seed's
  // two layers exactly the order of the seed (and of this stage before it took any depth).
  const vars: Record<string, tf.Variable> = {};
  let bx: tf.Tensor2D | undefined;
  let by: tf.Tensor1D | undefined;
  let losses: number[];
  let acc: number;
  // Whatever fails from here on (bad data, a diverging loss), the variables do not outlive it.
  try {
    let fanIn = x.shape[1];
    p.hidden.forEach((h, i) => {
      vars[`w${i + 1}`] = truncatedWeight([fanIn, h], p.stddev, ctx.rng);
      vars[`b${i + 1}`] = constantVariable([h], p.bias);
      fanIn = h;
    });
    vars.w = truncatedWeight([fanIn, classes], p.stddev, ctx.rng);
    vars.b = constantVariable([classes], p.bias);
    const model = asClassifier(vars);
    const sampler = new BatchSampler(x.shape[0], p.batch, ctx.rng);
    losses = await adagradLoop(
      ctx,
      Object.values(vars),
      p,
      // Summed cross-entropy, -sum(y * log softmax(logits)), from the labels themselves.
      () => softmaxCrossEntropy(by!, logits(model, bx!)),
      // In a tidy: the batch survives (the loop disposes it after the step), the indices do not,
      // even when a gather throws.
      () =>
        tf.tidy(() => {
          const idx = tf.tensor1d(sampler.next(), 'int32');
          bx = tf.gather(x, idx);
          by = tf.gather(trainY as tf.Tensor1D, idx);
          return [bx, by];
        }),
    );
    acc = accuracy(model, testX as tf.Tensor2D, testY as tf.Tensor1D);
  } catch (err) {
    tf.dispose(Object.values(vars));
    throw err;
  }
  return {
    outputs: { model: release(vars) },
    metrics: { accuracy: acc, loss: losses, lossStep: logSteps(p.steps, p.logEvery), finalLoss: losses[losses.length - 1] },
  };
}
