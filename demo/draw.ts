// The drawing pad, and the preprocessing that makes a drawing look like an MNIST digit: MNIST
// fits each digit's bounding box into 20 × 20 pixels (keeping its aspect ratio) and places it in
// the 28 × 28 frame so that its centre of mass is the frame's centre (LeCun et al., "The MNIST
// database"). A network trained on MNIST expects exactly that framing.
import { PIXELS, SIDE } from './digits.js';

const PAD = 280;
const BOX = 20;

export interface DrawingPad {
  /** The drawing as MNIST-style pixels in [0, 1], or null while the pad is empty. */
  pixels(): Float32Array | null;
  clear(): void;
  /** Shows 28 × 28 pixels (a test digit) on the pad, scaled up. */
  show(pixels: Float32Array): void;
}

export function setupDrawingPad(canvas: HTMLCanvasElement, onChange: (final: boolean) => void): DrawingPad {
  canvas.width = PAD;
  canvas.height = PAD;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let drawing = false;
  let empty = true;
  let last: [number, number] | null = null;
  let lastNotified = 0;

  function clear(): void {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, PAD, PAD);
    empty = true;
  }

  function point(event: PointerEvent): [number, number] {
    const rect = canvas.getBoundingClientRect();
    return [((event.clientX - rect.left) / rect.width) * PAD, ((event.clientY - rect.top) / rect.height) * PAD];
  }

  function stroke(to: [number, number]): void {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    const from = last ?? to;
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
    last = to;
    empty = false;
  }

  canvas.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = null;
    stroke(point(event));
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    stroke(point(event));
    // Live predictions while drawing, a few per second.
    if (performance.now() - lastNotified > 120) {
      lastNotified = performance.now();
      onChange(false);
    }
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    onChange(true);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  clear();
  return {
    clear,
    pixels: () => (empty ? null : mnistFrame(ctx)),
    show(pixels) {
      const small = new ImageData(SIDE, SIDE);
      for (let i = 0; i < PIXELS; i++) {
        const v = Math.round(pixels[i] * 255);
        small.data.set([v, v, v, 255], i * 4);
      }
      const tile = document.createElement('canvas');
      tile.width = SIDE;
      tile.height = SIDE;
      tile.getContext('2d')!.putImageData(small, 0, 0);
      clear();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tile, 0, 0, PAD, PAD);
      empty = false;
    },
  };
}

/** The pad's drawing, boxed into 20 × 20 and centred by mass in 28 × 28, as values in [0, 1]. */
function mnistFrame(ctx: CanvasRenderingContext2D): Float32Array | null {
  const { data } = ctx.getImageData(0, 0, PAD, PAD);
  let top = PAD, left = PAD, bottom = -1, right = -1;
  for (let y = 0; y < PAD; y++) {
    for (let x = 0; x < PAD; x++) {
      if (data[(y * PAD + x) * 4] > 16) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return null;
  const width = right - left + 1;
  const height = bottom - top + 1;
  const scale = BOX / Math.max(width, height);
  const frame = document.createElement('canvas');
  frame.width = SIDE;
  frame.height = SIDE;
  const f = frame.getContext('2d', { willReadFrequently: true })!;
  f.fillStyle = '#000';
  f.fillRect(0, 0, SIDE, SIDE);
  f.imageSmoothingEnabled = true;
  f.imageSmoothingQuality = 'high';
  const w = width * scale;
  const h = height * scale;
  f.drawImage(ctx.canvas, left, top, width, height, (SIDE - w) / 2, (SIDE - h) / 2, w, h);

  const boxed = f.getImageData(0, 0, SIDE, SIDE).data;
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < PIXELS; i++) {
    const v = boxed[i * 4];
    mass += v;
    cx += v * (i % SIDE);
    cy += v * Math.floor(i / SIDE);
  }
  // Shift so the centre of mass lands on the frame's centre (pixel centres at i + 0.5).
  const dx = Math.round(SIDE / 2 - 0.5 - cx / mass);
  const dy = Math.round(SIDE / 2 - 0.5 - cy / mass);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = boxed[(sy * SIDE + sx) * 4] / 255;
    }
  }
  return out;
}

/** Draws 28 × 28 pixels into a small canvas (what the network sees). */
export function drawPreview(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const v = pixels ? Math.round(pixels[i] * 255) : 0;
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}
