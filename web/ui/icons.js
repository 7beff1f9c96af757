// Small line icons drawn as inline SVG (emoji depend on fonts the machine may not have). Each is a
// 16x16 path in currentColor, so it follows the text colour of its button.
const PATHS = {
  folder: 'M1.5 4.5v8h13v-6.5h-6.5l-1.5-1.5z',
  file: 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3',
  link: 'M6.5 9.5l3-3 M7 4.5l1.5-1.5a2.5 2.5 0 0 1 3.5 3.5l-1.5 1.5 M9 11.5l-1.5 1.5a2.5 2.5 0 0 1-3.5-3.5l1.5-1.5',
  download: 'M8 2v8 M4.5 6.5l3.5 3.5 3.5-3.5 M2.5 13.5h11',
  eye: 'M1.5 8s2.5-4.5 6.5-4.5 6.5 4.5 6.5 4.5-2.5 4.5-6.5 4.5-6.5-4.5-6.5-4.5z M8 6a2 2 0 1 0 0 4a2 2 0 1 0 0-4z',
  rename: 'M10.5 2.5l3 3-8 8h-3v-3z M9 4l3 3',
  trash: 'M2.5 4.5h11 M6 4.5v-2h4v2 M4 4.5l.8 9h6.4l.8-9 M6.8 7v4.5 M9.2 7v4.5',
};

const SVG = 'http://www.w3.org/2000/svg';

export function icon(name, { label = null } = {}) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('class', `icon icon-${name}`);
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.3');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}
