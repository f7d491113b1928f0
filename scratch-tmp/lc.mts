import { learningCurveData, learningCurvesSvg } from '../src/report/pictures/learning-curves.ts';
import { verificationFixture } from '../test/fixtures/ui/contracts.ts';
const r = { ...verificationFixture, settings: { ...verificationFixture.settings, seeds: [1, 2, 3] }, candidates: verificationFixture.candidates.map((c) => ({ ...c, curve: c.curve?.map((p) => ({ ...p, perSeedMeanDice: [p.meanDice - 0.02, p.meanDice + 0.01, p.meanDice + 0.01] })) })) };
const svg = await learningCurvesSvg(learningCurveData(r)!);
console.log(svg.match(/<path[^>]*stroke-opacity[^>]*>/g)?.slice(0, 3));
