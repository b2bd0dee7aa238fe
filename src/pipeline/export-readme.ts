/** The README `hnas export` writes beside model.onnx: what the model expects and a standalone recipe. */
import type { FoldId } from './model-dir.js';
import type { Plan } from '../data/plan-types.js';

export function exportReadme(plan: Plan, fold: FoldId, metadata: Record<string, string>): string {
  const v = (x: readonly number[]) => `[${x.join(', ')}]`;
  const labels = plan.labels.map((l) => `${l.value} = ${l.name}`).join(', ');
  return `# ${plan.datasetName}: exported hnas model (fold ${fold})

\`model.onnx\` segments ${plan.channelNames.join(', ')} images into ${plan.labels.length} classes (${labels}).
Input \`${'{input}'}\` is float32 [N, ${plan.channelNames.length}, ${v(plan.network.patchSize).slice(1, -1)}]; the one output,
\`probabilities\`, is float32 [N, ${plan.labels.length}, ${v(plan.network.patchSize).slice(1, -1)}]: the softmax per class at full resolution.
Everything below is also in the model's metadata_props (JSON values), so a program can read it from the file:

| key | value |
|---|---|
${Object.entries(metadata)
  .map(([k, val]) => `| ${k} | \`${val.replace(/\|/g, '\\|')}\` |`)
  .join('\n')}

## Standalone inference (what \`hnas predict\` does)

Arrays use the NIfTI axes reversed ([k, j, i], as SimpleITK and nnU-Net), spacing in the same order.

1. Read the image; for each channel an array [k, j, i] and the spacing.
2. Transpose the axes by \`transpose_forward\` (${v(plan.transposeForward)}) - image and spacing.
3. Crop to the bounding box of the voxels where any channel is nonzero; remember the box.
4. Normalise each channel by \`normalization\`: \`zscore\`: (x - mean(x)) / max(std(x), 1e-8) over the image
   (over the nonzero mask, setting outside voxels to 0, when use_mask_for_norm); \`ct\`: clip to
   [percentile_00_5, percentile_99_5], then (x - mean) / max(std, 1e-8) with the stored statistics.
5. Resample to \`target_spacing\` ${v(plan.spacing)} (cubic spline; the coarse axis separately with
   nearest neighbour when its spacing is more than \`anisotropy_threshold\` times the finest).
6. Sliding window: pad to at least \`patch_size\` ${v(plan.network.patchSize)} (zeros), tiles at a step of
   \`sliding_window_step\` x patch, each tile's log(probabilities) weighted by a Gaussian with sigma =
   \`gaussian_sigma_scale\` x patch (centre weight 1), summed and divided by the summed weights.
   log(probabilities) are the logits less a per-voxel constant, so this gives exactly the segmentation of
   \`hnas predict\`, which averages logits (clamp probabilities at 1e-38 before the log).
7. Resample the averaged values back to the cropped shape (linear), take the argmax over classes (channel k =
   label k), put the result into the crop box of a zero volume, transpose back by \`transpose_backward\`
   (${v(plan.transposeBackward)}), and write it with the input's geometry. For probabilities, softmax the
   resampled values; outside the crop box the background has probability 1.

With onnxruntime (Python):

\`\`\`python
import json, onnxruntime as ort
session = ort.InferenceSession("model.onnx")
meta = {k: json.loads(v) if v[:1] in '[{0123456789' else v for k, v in session.get_modelmeta().custom_metadata_map.items()}
name = session.get_inputs()[0].name
probabilities = session.run(["probabilities"], {name: tile})[0]   # tile: float32 [1, C, *meta["patch_size"]]
\`\`\`

With onnxruntime-web or onnxruntime-node (JavaScript):

\`\`\`js
const session = await ort.InferenceSession.create(bytes);
const { probabilities } = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', tile, [1, C, ...patch]) });
\`\`\`
`.replace('`{input}`', '`the first graph input`');
}
