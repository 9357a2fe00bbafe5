import { describe, expect, it } from 'vitest';
import { labelLines, radarPoint, radarPolygon } from '../src/territory-charts';

const centre = { x: 100, y: 100 };

describe('the radar', () => {
  it('puts the first axis up and goes clockwise', () => {
    expect(radarPoint(0, 4, 2, -1, 2, 50, centre)).toEqual({ x: 100, y: 50 });
    expect(radarPoint(1, 4, 2, -1, 2, 50, centre)).toEqual({ x: 150, y: 100 });
    expect(radarPoint(2, 4, 2, -1, 2, 50, centre)).toEqual({ x: 100, y: 150 });
  });

  it('measures from the bottom of the scale, and keeps values inside it', () => {
    expect(radarPoint(0, 5, -1, -1, 2, 60, centre)).toEqual(centre);
    expect(radarPoint(0, 5, 0.5, -1, 2, 60, centre)).toEqual({ x: 100, y: 70 });
    expect(radarPoint(0, 5, 7, -1, 2, 60, centre)).toEqual({ x: 100, y: 40 });
  });

  it('draws missing values at the centre', () => {
    expect(radarPolygon([2, null, 2, null], -1, 2, 30, centre)).toBe('100,70 100,100 100,130 100,100');
  });

  it('breaks long labels into lines', () => {
    expect(labelLines('Territorial anchoring', 14)).toEqual(['Territorial', 'anchoring']);
    expect(labelLines('Social', 14)).toEqual(['Social']);
    expect(labelLines('Ancrage territorial', 20)).toEqual(['Ancrage territorial']);
  });
});
