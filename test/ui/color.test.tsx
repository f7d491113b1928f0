/**
 * Colour on and off. Chalk (inside Ink) decides its colour level when first imported, so this
 * file forces colour support before importing anything that loads Ink: then "no ANSI with colour
 * off" is a real check, because the same view with colour on does emit escapes.
 */
import { describe, expect, it } from 'vitest';
import { ANSI_PATTERN, stripAnsi } from './helpers.js';

process.env.FORCE_COLOR = '1';
const React = await import('react');
const { render } = await import('ink-testing-library');
const { ProfileView } = await import('../../src/ui/components/ProfileView.js');
const { ReasoningView } = await import('../../src/ui/components/ReasoningView.js');
const { VerifyDashboard } = await import('../../src/ui/components/VerifyDashboard.js');
const { profileOutput, recommendationOutput, verificationOutput } = await import('../../src/ui/render.js');
const { profileFixture, recommendationFixture, verificationFixture } = await import('../fixtures/ui/contracts.js');

const views = [
  ['profile', React.createElement(ProfileView, { profile: profileFixture, width: 80, color: true }), React.createElement(ProfileView, { profile: profileFixture, width: 80, color: false })],
  ['reasoning', React.createElement(ReasoningView, { recommendation: recommendationFixture, width: 80, color: true }), React.createElement(ReasoningView, { recommendation: recommendationFixture, width: 80, color: false })],
  ['verify', React.createElement(VerifyDashboard, { report: verificationFixture, width: 80, color: true }), React.createElement(VerifyDashboard, { report: verificationFixture, width: 80, color: false })],
] as const;

describe('colour', () => {
  it.each(views)('%s view: colour on emits ANSI styles, colour off emits none and the same text', (_name, colored, plain) => {
    const on = render(colored).lastFrame() ?? '';
    const off = render(plain).lastFrame() ?? '';
    expect(on).toMatch(ANSI_PATTERN);
    expect(off).not.toMatch(ANSI_PATTERN);
    const trimmed = (text: string) => text.split('\n').map((line) => line.trimEnd()).join('\n');
    expect(trimmed(stripAnsi(on))).toBe(trimmed(off));
  });

  it('the rendering layer honours color: false on a terminal and in plain text', () => {
    for (const interactive of [true, false]) {
      expect(profileOutput(profileFixture, { color: false, interactive, columns: 80 })).not.toMatch(ANSI_PATTERN);
      expect(recommendationOutput(recommendationFixture, { color: false, interactive, columns: 80 })).not.toMatch(ANSI_PATTERN);
      expect(verificationOutput(verificationFixture, { color: false, interactive, columns: 80 })).not.toMatch(ANSI_PATTERN);
    }
    expect(profileOutput(profileFixture, { color: true, interactive: true, columns: 80 })).toMatch(ANSI_PATTERN);
  });
});
