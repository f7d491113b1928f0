/**
 * Scene layout of one sample image: where the buildings, solar panels, roads and trees go, and
 * the label mask that follows from it. Geometry is in pixels at ~0.5 m per pixel (the article's
 * resolution): houses ~200 px, factories ~10x that, solar panels 6-28 px.
 *
 * Guarantees the truth relies on:
 * - every building is a rotated rectangle at least 5 px wide, fully inside the image, and at least
 *   CLEARANCE px (pixel centre to centre) from any other building, so no two objects of any class
 *   touch, even diagonally: every placed building is exactly one 8-connected component;
 * - every solar panel is an axis-aligned rectangle lying on one roof with at least 2 px of that
 *   roof around it (so it never touches the ground or another panel, and the roof stays connected).
 */
import type { Random } from './prng.js';

export const SAMPLE_CLASS_NAMES = ['background', 'pitched_roof', 'flat_roof', 'industrial_roof', 'greenhouse', 'solar_panel'] as const;
export const CLASS = { background: 0, pitched: 1, flat: 2, industrial: 3, greenhouse: 4, panel: 5 } as const;

/**
 * Minimum distance between buildings. A low-contrast building's shadow halo reaches 6 px out
 * (render.ts), and a neighbour's own edge needs 3 clean px; 10 keeps them apart.
 */
export const CLEARANCE = 10;
/** Minimum distance from a building to a road or tree. */
const GROUND_CLEARANCE = 4;
/** Roof pixels kept around every solar panel. */
const PANEL_MARGIN = 2;

/** Share of all pixels per class id the layouts aim at (background takes the rest). */
export const ARTICLE_TARGETS = [0, 0.006, 0.003, 0.0025, 0.0012, 0.0003];
export const BALANCED_TARGETS = [0, 0.2, 0.14, 0.14, 0.1, 0.07];

export interface Building {
  kind: 'building';
  /** Object number in the image (1-based; 0 is the ground). */
  id: number;
  classId: number;
  cx: number;
  cy: number;
  /** Half length along the angle, half width across it. */
  halfLength: number;
  halfWidth: number;
  angle: number;
  lowContrast: boolean;
  /** Pixels rasterised (before panels took some). */
  area: number;
  /** Low contrast of the panels on this roof (all panels of one roof share it); null until one is placed. */
  panelsLowContrast: boolean | null;
}

export interface Panel {
  kind: 'panel';
  id: number;
  classId: typeof CLASS.panel;
  x0: number;
  y0: number;
  width: number;
  height: number;
  hostId: number;
  lowContrast: boolean;
}

export type SceneObject = Building | Panel;
type BuildingSpec = Omit<Building, 'kind' | 'id' | 'lowContrast' | 'panelsLowContrast' | 'area'>;

export interface Road {
  /** A point on the centre line, its direction and width. */
  x: number;
  y: number;
  angle: number;
  width: number;
}

export interface Tree {
  x: number;
  y: number;
  radius: number;
}

export interface Layout {
  width: number;
  height: number;
  /** Class id per pixel. */
  mask: Uint8Array;
  /** Object number per pixel; 0 = ground. Panels overwrite their roof. */
  objectIds: Int32Array;
  /** objects[id - 1]. Panels come after their roofs, so the higher id is the one on top. */
  objects: SceneObject[];
  roads: Road[];
  trees: Tree[];
  /** Road pixels (buildings keep away from them). */
  ground: Uint8Array;
}

/** Carried across images, so dataset-level shares track the targets closely for any seed. */
export interface LayoutBudget {
  /** Pixels per class still owed to the targets. */
  pixels: number[];
  /** Estimated boundary pixels so far, and those on low-contrast edges. */
  boundary: number;
  ambiguous: number;
}

/** The x range [from, to) of a pixel row where |a - x * sin| < half (a road's footprint). */
export function roadSpan(a: number, sin: number, half: number, width: number): [number, number] {
  if (Math.abs(sin) < 1e-9) return Math.abs(a) < half ? [0, width] : [0, 0];
  const p = (a - half) / sin;
  const q = (a + half) / sin;
  return [Math.max(0, Math.floor(Math.min(p, q))), Math.min(width, Math.ceil(Math.max(p, q)) + 1)];
}

export function newBudget(random: Random, targets: number[], width: number, height: number): LayoutBudget {
  // A random start spreads the rare big objects (factories) over different images per seed.
  return { pixels: targets.map((t) => t * width * height * random.uniform(0, 1.5)), boundary: 0, ambiguous: 0 };
}

/**
 * Decides whether the next edge is rendered low-contrast, by error diffusion: the running share
 * of low-contrast boundary pixels tracks `share` while each decision stays random.
 */
function lowContrastDecision(budget: LayoutBudget, share: number, boundaryEstimate: number, random: Random): boolean {
  const low = budget.ambiguous + random.next() * boundaryEstimate < share * (budget.boundary + boundaryEstimate);
  budget.boundary += boundaryEstimate;
  if (low) budget.ambiguous += boundaryEstimate;
  return low;
}

function signedDistance(b: Pick<Building, 'cx' | 'cy' | 'halfLength' | 'halfWidth' | 'angle'>, px: number, py: number, cos: number, sin: number): number {
  const dx = px - b.cx;
  const dy = py - b.cy;
  const qx = Math.abs(dx * cos + dy * sin) - b.halfLength;
  const qy = Math.abs(-dx * sin + dy * cos) - b.halfWidth;
  const ox = qx > 0 ? qx : 0;
  const oy = qy > 0 ? qy : 0;
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
}

/** Distance (negative inside) from a pixel centre to a building's outline. */
export function buildingDistance(b: Building, x: number, y: number): number {
  return signedDistance(b, x + 0.5, y + 0.5, Math.cos(b.angle), Math.sin(b.angle));
}

/** buildingDistance for one building, with its rotation computed once (for per-pixel loops). */
export function distanceField(b: Pick<Building, 'cx' | 'cy' | 'halfLength' | 'halfWidth' | 'angle'>): (x: number, y: number) => number {
  const cos = Math.cos(b.angle);
  const sin = Math.sin(b.angle);
  return (x, y) => signedDistance(b, x + 0.5, y + 0.5, cos, sin);
}

/** Pixel bounds [x0, x1) x [y0, y1) of a building grown by `grow` px, clamped to the image. */
export function buildingBounds(b: Building, grow: number, width: number, height: number): [number, number, number, number] {
  const c = Math.abs(Math.cos(b.angle));
  const s = Math.abs(Math.sin(b.angle));
  const ex = b.halfLength * c + b.halfWidth * s + grow;
  const ey = b.halfLength * s + b.halfWidth * c + grow;
  return [Math.max(0, Math.floor(b.cx - ex)), Math.max(0, Math.floor(b.cy - ey)), Math.min(width, Math.ceil(b.cx + ex) + 1), Math.min(height, Math.ceil(b.cy + ey) + 1)];
}

class Scene {
  readonly mask: Uint8Array;
  readonly objectIds: Int32Array;
  readonly ground: Uint8Array;
  readonly objects: SceneObject[] = [];
  readonly roads: Road[] = [];
  readonly trees: Tree[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.mask = new Uint8Array(width * height);
    this.objectIds = new Int32Array(width * height);
    this.ground = new Uint8Array(width * height);
  }

  /** Rasterises a building if it fits with the clearances; returns its area or 0. */
  tryBuilding(spec: BuildingSpec): Building | null {
    const b: Building = { kind: 'building', id: this.objects.length + 1, lowContrast: false, panelsLowContrast: null, area: 0, ...spec };
    const c = Math.abs(Math.cos(b.angle));
    const s = Math.abs(Math.sin(b.angle));
    const ex = b.halfLength * c + b.halfWidth * s;
    const ey = b.halfLength * s + b.halfWidth * c;
    if (b.cx - ex < 1 || b.cy - ey < 1 || b.cx + ex > this.width - 1 || b.cy + ey > this.height - 1) return null;
    const [x0, y0, x1, y1] = buildingBounds(b, CLEARANCE, this.width, this.height);
    const cos = Math.cos(b.angle);
    const sin = Math.sin(b.angle);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * this.width + x;
        if (this.objectIds[i] === 0 && this.ground[i] === 0) continue;
        const d = signedDistance(b, x + 0.5, y + 0.5, cos, sin);
        if (this.objectIds[i] !== 0 && d <= CLEARANCE) return null;
        if (this.ground[i] !== 0 && d <= GROUND_CLEARANCE) return null;
      }
    }
    let area = 0;
    const [rx0, ry0, rx1, ry1] = buildingBounds(b, 0, this.width, this.height);
    for (let y = ry0; y < ry1; y++) {
      for (let x = rx0; x < rx1; x++) {
        if (signedDistance(b, x + 0.5, y + 0.5, cos, sin) > 0) continue;
        const i = y * this.width + x;
        this.mask[i] = b.classId;
        this.objectIds[i] = b.id;
        area++;
      }
    }
    if (area === 0) return null;
    b.area = area;
    this.objects.push(b);
    return b;
  }

  /** Places a panel on `host` if it and a PANEL_MARGIN ring around it are all bare roof of `host`. */
  tryPanel(host: Building, x0: number, y0: number, width: number, height: number): Panel | null {
    for (let y = y0 - PANEL_MARGIN; y < y0 + height + PANEL_MARGIN; y++) {
      for (let x = x0 - PANEL_MARGIN; x < x0 + width + PANEL_MARGIN; x++) {
        if (x < 0 || y < 0 || x >= this.width || y >= this.height) return null;
        if (this.objectIds[y * this.width + x] !== host.id) return null;
      }
    }
    const panel: Panel = { kind: 'panel', id: this.objects.length + 1, classId: CLASS.panel, x0, y0, width, height, hostId: host.id, lowContrast: false };
    for (let y = y0; y < y0 + height; y++) {
      for (let x = x0; x < x0 + width; x++) {
        const i = y * this.width + x;
        this.mask[i] = CLASS.panel;
        this.objectIds[i] = panel.id;
      }
    }
    this.objects.push(panel);
    return panel;
  }

  addRoad(road: Road): void {
    const cos = Math.cos(road.angle);
    const sin = Math.sin(road.angle);
    const half = road.width / 2 + 0.5;
    for (let y = 0; y < this.height; y++) {
      // Distance from the centre line along a row: |a - x * sin|; only the span near the road is visited.
      const a = (y + 0.5 - road.y) * cos - (0.5 - road.x) * sin;
      const [from, to] = roadSpan(a, sin, half + 1, this.width);
      for (let x = from; x < to; x++) if (Math.abs(a - x * sin) <= half) this.ground[y * this.width + x] = 1;
    }
    this.roads.push(road);
  }

  /** A tree if no building is within radius + GROUND_CLEARANCE. */
  tryTree(tree: Tree): boolean {
    const reach = tree.radius + GROUND_CLEARANCE;
    for (let y = Math.floor(tree.y - reach); y <= tree.y + reach; y++) {
      for (let x = Math.floor(tree.x - reach); x <= tree.x + reach; x++) {
        if (x < 0 || y < 0 || x >= this.width || y >= this.height) continue;
        if (Math.hypot(x + 0.5 - tree.x, y + 0.5 - tree.y) > reach) continue;
        if (this.objectIds[y * this.width + x] !== 0) return false;
      }
    }
    this.trees.push(tree);
    return true;
  }

  toLayout(): Layout {
    return { width: this.width, height: this.height, mask: this.mask, objectIds: this.objectIds, objects: this.objects, roads: this.roads, trees: this.trees, ground: this.ground };
  }
}

/** Rough boundary pixels (both sides) a rectangle of this size contributes. */
function boundaryEstimate(halfLength: number, halfWidth: number): number {
  return 8 * (halfLength + halfWidth);
}

interface Size {
  halfLength: number;
  halfWidth: number;
}

/** Building footprints per class, in pixels at ~0.5 m. */
function drawSize(classId: number, random: Random): Size {
  const size = (length: [number, number], width: [number, number]): Size => ({ halfLength: random.uniform(...length) / 2, halfWidth: random.uniform(...width) / 2 });
  switch (classId) {
    case CLASS.pitched: // houses ~200 px; one in five a small shed under 100 px
      return random.chance(0.2) ? size([7, 11], [5, 8]) : size([13, 22], [10, 16]);
    case CLASS.flat: // garages and flat-roofed blocks
      return random.chance(0.3) ? size([8, 11], [5, 7]) : size([12, 30], [10, 20]);
    case CLASS.industrial: // factories and warehouses, ~10x a house
      return size([44, 80], [28, 50]);
    default: // greenhouse: long and narrow
      return size([26, 46], [7, 10]);
  }
}

function placeSolarPanels(scene: Scene, budget: LayoutBudget, share: number, random: Random, balanced: boolean): void {
  const hosts = scene.objects.filter((o): o is Building => o.kind === 'building' && o.classId !== CLASS.greenhouse);
  if (hosts.length === 0) return;
  for (let attempts = 0; attempts < (balanced ? 3000 : 200) && budget.pixels[CLASS.panel] > 0; attempts++) {
    const host = random.pick(hosts);
    let width = balanced ? random.int(4, 8) : random.int(2, 4);
    let height = balanced ? random.int(6, 14) : random.int(3, 7);
    if (random.chance(0.5)) [width, height] = [height, width];
    if (budget.pixels[CLASS.panel] < (width * height) / 2) break;
    const [bx0, by0, bx1, by1] = buildingBounds(host, 0, scene.width, scene.height);
    const x0 = random.int(bx0, Math.max(bx0, bx1 - width));
    const y0 = random.int(by0, Math.max(by0, by1 - height));
    // An array: panels in a row with a 2 px gap, as long as they fit and the budget lasts.
    const row = random.int(1, balanced ? 4 : 3);
    for (let k = 0; k < row && budget.pixels[CLASS.panel] >= (width * height) / 2; k++) {
      const horizontal = width <= height;
      const panel = scene.tryPanel(host, x0 + (horizontal ? k * (width + PANEL_MARGIN) : 0), y0 + (horizontal ? 0 : k * (height + PANEL_MARGIN)), width, height);
      if (!panel) break;
      const estimate = 4 * (width + height);
      if (host.panelsLowContrast === null) host.panelsLowContrast = lowContrastDecision(budget, share, estimate, random);
      else {
        budget.boundary += estimate;
        if (host.panelsLowContrast) budget.ambiguous += estimate;
      }
      panel.lowContrast = host.panelsLowContrast;
      const area = width * height;
      budget.pixels[CLASS.panel] -= area;
      budget.pixels[host.classId] += area; // the roof lost these pixels
    }
  }
}

function placeBuilding(scene: Scene, budget: LayoutBudget, share: number, random: Random, spec: BuildingSpec): Building | null {
  const building = scene.tryBuilding(spec);
  if (!building) return null;
  building.lowContrast = lowContrastDecision(budget, share, boundaryEstimate(spec.halfLength, spec.halfWidth), random);
  return building;
}

/** Rural / suburban tile in the article's setting: rare buildings on open ground, roads, trees. */
export function articleLayout(width: number, height: number, budget: LayoutBudget, share: number, random: Random): Layout {
  const scene = new Scene(width, height);
  const streetAngle = random.uniform(0, Math.PI);
  const roadCount = random.pick([0, 1, 1, 2]);
  for (let r = 0; r < roadCount; r++) {
    scene.addRoad({ x: random.uniform(0, width), y: random.uniform(0, height), angle: streetAngle + (r % 2) * (Math.PI / 2), width: random.uniform(4, 7) });
  }
  for (let c = 1; c < CLASS.panel; c++) budget.pixels[c] += ARTICLE_TARGETS[c] * width * height;
  const factories: Building[] = [];
  for (const classId of [CLASS.industrial, CLASS.greenhouse, CLASS.flat, CLASS.pitched]) {
    for (let guard = 0; guard < 200; guard++) {
      const size = drawSize(classId, random);
      if (budget.pixels[classId] < 2 * size.halfLength * size.halfWidth) break;
      const aligned = classId === CLASS.industrial || classId === CLASS.greenhouse || random.chance(0.7);
      const angle = aligned ? streetAngle + (random.chance(0.5) ? Math.PI / 2 : 0) + random.uniform(-0.06, 0.06) : random.uniform(0, Math.PI);
      let placed: Building | null = null;
      for (let attempt = 0; attempt < 40 && !placed; attempt++) {
        let cx = random.uniform(0, width);
        let cy = random.uniform(0, height);
        // Houses next to factories: often a house goes right beside one.
        if ((classId === CLASS.pitched || classId === CLASS.flat) && factories.length > 0 && random.chance(0.5)) {
          const f = random.pick(factories);
          const theta = random.uniform(0, 2 * Math.PI);
          const reach = Math.hypot(f.halfLength, f.halfWidth) * random.uniform(0.8, 1.2) + CLEARANCE + size.halfLength;
          cx = f.cx + reach * Math.cos(theta);
          cy = f.cy + reach * Math.sin(theta);
        }
        placed = placeBuilding(scene, budget, share, random, { classId, cx, cy, angle, ...size });
      }
      if (!placed) {
        // The tile is full for this class: carry what is owed, but not without bound.
        budget.pixels[classId] = Math.min(budget.pixels[classId], 2 * ARTICLE_TARGETS[classId] * width * height + 4 * size.halfLength * size.halfWidth);
        break;
      }
      budget.pixels[classId] -= placed.area;
      if (classId === CLASS.industrial) factories.push(placed);
      if (classId === CLASS.greenhouse) {
        // Greenhouses stand in rows of parallel halls.
        const rowLength = random.int(0, 3);
        const gap = 2 * placed.halfWidth + CLEARANCE + random.uniform(0, 2);
        for (let k = 1; k <= rowLength && budget.pixels[classId] > 0; k++) {
          const sibling = placeBuilding(scene, budget, share, random, {
            ...size,
            classId,
            angle,
            cx: placed.cx - Math.sin(angle) * gap * k,
            cy: placed.cy + Math.cos(angle) * gap * k,
          });
          if (!sibling) break;
          budget.pixels[classId] -= sibling.area;
        }
      }
    }
  }
  budget.pixels[CLASS.panel] += ARTICLE_TARGETS[CLASS.panel] * width * height;
  placeSolarPanels(scene, budget, share, random, false);
  budget.pixels[CLASS.panel] = Math.min(budget.pixels[CLASS.panel], 4 * ARTICLE_TARGETS[CLASS.panel] * width * height + 30);
  const clusters = Math.round((width * height) / 5000);
  for (let k = 0; k < clusters; k++) {
    const x = random.uniform(0, width);
    const y = random.uniform(0, height);
    const trees = random.int(1, 6);
    for (let t = 0; t < trees; t++) scene.tryTree({ x: x + random.uniform(-10, 10), y: y + random.uniform(-10, 10), radius: random.uniform(2, 5) });
  }
  return scene.toLayout();
}

/**
 * Dense urban grid for the "balanced classes" case: a building on every block, ~30-40% ground
 * (the streets), every class at 5% or more of the pixels.
 */
export function balancedLayout(width: number, height: number, budget: LayoutBudget, share: number, random: Random): Layout {
  const scene = new Scene(width, height);
  const cell = random.int(52, 76);
  const street = CLEARANCE;
  const ox = random.int(0, cell - 1) - cell;
  const oy = random.int(0, cell - 1) - cell;
  for (let c = 1; c < CLASS.panel; c++) budget.pixels[c] += BALANCED_TARGETS[c] * width * height;
  for (let gy = oy; gy < height; gy += cell) {
    for (let gx = ox; gx < width; gx += cell) {
      const x0 = gx + street / 2;
      const y0 = gy + street / 2;
      const x1 = Math.min(width - 1, gx + cell - street / 2);
      const y1 = Math.min(height - 1, gy + cell - street / 2);
      const bx0 = Math.max(1, x0);
      const by0 = Math.max(1, y0);
      if (x1 - bx0 < 6 || y1 - by0 < 6) continue;
      // The class most owed gets the block (ties broken at random).
      let classId: number = CLASS.pitched;
      let best = -Infinity;
      for (const c of [CLASS.pitched, CLASS.flat, CLASS.industrial, CLASS.greenhouse]) {
        const owed = budget.pixels[c] / BALANCED_TARGETS[c] + random.uniform(0, 1e-3);
        if (owed > best) [best, classId] = [owed, c];
      }
      const horizontal = x1 - bx0 >= y1 - by0;
      if (classId === CLASS.greenhouse && (horizontal ? y1 - by0 : x1 - bx0) >= 2 * 6 + CLEARANCE) {
        // Two parallel halls per block.
        const across = horizontal ? y1 - by0 : x1 - bx0;
        const hall = (across - CLEARANCE - 1) / 2;
        for (let k = 0; k < 2; k++) {
          const offset = k * (hall + CLEARANCE + 1) + hall / 2;
          const spec = horizontal
            ? { cx: (bx0 + x1) / 2, cy: by0 + offset, halfLength: (x1 - bx0) / 2, halfWidth: hall / 2, angle: 0 }
            : { cx: bx0 + offset, cy: (by0 + y1) / 2, halfLength: (y1 - by0) / 2, halfWidth: hall / 2, angle: Math.PI / 2 };
          const b = placeBuilding(scene, budget, share, random, { classId, ...spec });
          if (b) budget.pixels[classId] -= b.area;
        }
        continue;
      }
      const spec = horizontal
        ? { cx: (bx0 + x1) / 2, cy: (by0 + y1) / 2, halfLength: (x1 - bx0) / 2, halfWidth: (y1 - by0) / 2, angle: 0 }
        : { cx: (bx0 + x1) / 2, cy: (by0 + y1) / 2, halfLength: (y1 - by0) / 2, halfWidth: (x1 - bx0) / 2, angle: Math.PI / 2 };
      const b = placeBuilding(scene, budget, share, random, { classId, ...spec });
      if (b) budget.pixels[classId] -= b.area;
    }
  }
  budget.pixels[CLASS.panel] += BALANCED_TARGETS[CLASS.panel] * width * height;
  placeSolarPanels(scene, budget, share, random, true);
  budget.pixels[CLASS.panel] = Math.min(budget.pixels[CLASS.panel], BALANCED_TARGETS[CLASS.panel] * width * height);
  return scene.toLayout();
}
