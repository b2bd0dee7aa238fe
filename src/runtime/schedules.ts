/** Learning-rate schedules, computed on the host once per epoch (the step graph takes lr as an input). */
export type ScheduleKind = 'poly' | 'cosine' | 'constant';

export const SCHEDULES: Readonly<Record<ScheduleKind, (lr0: number, epoch: number, epochs: number) => number>> = {
  /** nnU-Net's PolyLR: lr0 (1 - epoch / epochs)^0.9. */
  poly: (lr0, e, n) => lr0 * (1 - e / n) ** 0.9,
  cosine: (lr0, e, n) => 0.5 * lr0 * (1 + Math.cos((Math.PI * e) / n)),
  constant: (lr0) => lr0,
};
