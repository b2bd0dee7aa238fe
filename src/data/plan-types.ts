/**
 * The facts of a dataset plan that the compiler and trainer consume. The planner
 * (src/data/plan.ts) produces a full plan that includes these fields; until a
 * dataset is planned they can come from a small plan JSON or CLI flags.
 * Axis order everywhere: the plan's transposed order, coarsest axis first.
 */
export type Vec3 = [number, number, number];

export interface NetworkPlan {
  /** Image channels (modalities). */
  readonly inputChannels: number;
  /** Output classes including background. */
  readonly numClasses: number;
  readonly patchSize: Vec3;
  readonly batchSize: number;
  /** Per stage (length n_stages = n_max): conv kernel size; stage 0 first. */
  readonly kernelSizes: readonly Vec3[];
  /** Per stage: the stride of its first conv; strides[0] = [1,1,1]. */
  readonly strides: readonly Vec3[];
}
