/** A confidence level as people write it: 0.95 -> "95%", 0.975 -> "97.5%", 0.99375 -> "99.4%". One place so the verdict, racing and reports agree. */
export function percent(confidence: number): string {
  return `${Math.round(confidence * 1000) / 10}%`;
}
