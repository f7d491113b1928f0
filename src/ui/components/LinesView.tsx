import React from 'react';
import { Box, Text } from 'ink';
import type { Line } from '../lines.js';
import { styleFor } from '../theme.js';

export interface LinesViewProps {
  lines: Line[];
  width: number;
  color: boolean;
}

/** Renders pre-built lines; each is cut at the width as a last guard (they are built to fit). */
export function LinesView({ lines, width, color }: LinesViewProps): React.JSX.Element {
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, index) => (
        <Text key={index} wrap="truncate-end">
          {line.length === 0 ? ' ' : line.map((segment, i) => (
            <Text key={i} {...styleFor(segment.role, color)}>
              {segment.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

