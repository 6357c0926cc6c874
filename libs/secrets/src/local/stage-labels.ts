import type { SecretStage } from '#domain';

/** Stage labels of every version of one secret, keyed by version id. */
export type StageLabels = ReadonlyMap<string, readonly SecretStage[]>;

/**
 * Moves a label to `versionId` the way Secrets Manager does (each label is on at most one
 * version):
 * - `AWSPENDING`: taken from whichever version held it.
 * - `AWSCURRENT`: the version that held it becomes `AWSPREVIOUS` (and the old `AWSPREVIOUS`
 *   loses that label); the new current version drops `AWSPENDING`, since its rotation is over.
 * Returns the labels of every version after the move.
 */
export function moveStage(labels: StageLabels, versionId: string, stage: 'AWSCURRENT' | 'AWSPENDING'): StageLabels {
  const next = new Map<string, SecretStage[]>([...labels].map(([id, stages]) => [id, [...stages]]));
  const target = next.get(versionId);
  if (!target) throw new Error(`moveStage: unknown version ${versionId}`);
  if (stage === 'AWSPENDING') {
    for (const [id, stages] of next) if (id !== versionId) next.set(id, without(stages, 'AWSPENDING'));
    next.set(versionId, withLabel(target, 'AWSPENDING'));
    return next;
  }
  const oldCurrent = [...next].find(([id, stages]) => id !== versionId && stages.includes('AWSCURRENT'))?.[0];
  for (const [id, stages] of next) {
    if (id === versionId) next.set(id, withLabel(without(stages, 'AWSPENDING', 'AWSPREVIOUS'), 'AWSCURRENT'));
    else if (id === oldCurrent) next.set(id, withLabel(without(stages, 'AWSCURRENT'), 'AWSPREVIOUS'));
    else if (oldCurrent) next.set(id, without(stages, 'AWSPREVIOUS'));
  }
  return next;
}

/**
 * Labels after writing a new version `versionId` with `stage`. As in Secrets Manager, the first
 * version of a secret gets AWSCURRENT automatically, even when written as AWSPENDING (PutSecretValue:
 * "If this operation creates the first version for the secret then Secrets Manager automatically
 * attaches the staging label AWSCURRENT to the new version").
 */
export function labelsAfterWrite(
  labels: StageLabels,
  versionId: string,
  stage: 'AWSCURRENT' | 'AWSPENDING',
): StageLabels {
  const after = moveStage(new Map([...labels, [versionId, []]]), versionId, stage);
  if (labels.size > 0 || stage === 'AWSCURRENT') return after;
  return new Map([...after, [versionId, withLabel(after.get(versionId) ?? [], 'AWSCURRENT')]]);
}

/** Version ids whose labels differ between two snapshots. */
export function changedVersions(before: StageLabels, after: StageLabels): string[] {
  return [...after].filter(([id, stages]) => !sameLabels(before.get(id) ?? [], stages)).map(([id]) => id);
}

function without(stages: readonly SecretStage[], ...removed: SecretStage[]): SecretStage[] {
  return stages.filter((stage) => !removed.includes(stage));
}

function withLabel(stages: readonly SecretStage[], added: SecretStage): SecretStage[] {
  return stages.includes(added) ? [...stages] : [...stages, added];
}

function sameLabels(a: readonly SecretStage[], b: readonly SecretStage[]): boolean {
  return a.length === b.length && a.every((stage) => b.includes(stage));
}
