import React, { useMemo } from 'react';
import type { DatasetProfile } from '../../contracts/profile.js';
import { useViewWidth } from '../hooks/use-view-width.js';
import { profileLines } from '../views/profile-lines.js';
import { LinesView } from './LinesView.js';

export interface ProfileViewProps {
  profile: DatasetProfile;
  /** Columns to lay out for; defaults to the terminal width. */
  width?: number;
  color?: boolean;
}

/** Class shares (log scale), object-size histogram, boundary-ambiguity gauge, skipped files. */
export function ProfileView({ profile, width, color = true }: ProfileViewProps): React.JSX.Element {
  const columns = useViewWidth(width);
  const lines = useMemo(() => profileLines(profile, columns), [profile, columns]);
  return <LinesView lines={lines} width={columns} color={color} />;
}
