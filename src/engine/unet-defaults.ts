/**
 * The built-in U-Net's default shape, apart from the model code (unet.ts imports tfjs): verify's
 * default settings and the commands' --help read it without loading a training engine.
 */
export const UNET_DEFAULTS = { depth: 3, baseWidth: 16 } as const;
