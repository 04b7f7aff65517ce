/** Tiny files that once froze or killed the language server (expansion bombs, deep nesting, huge files); the tests and the benchmark share them. */
export const BOMBS: Record<string, string> = {
  'empty repeat 1e9': 'input 3x8x8\nrepeat 1000000000\nend\n',
  'two nested empty repeats': 'input 3x8x8\nrepeat 1000000000\nrepeat 1000000000\nend\nend\n',
  'relu x99999999999999': 'input 3x8x8\nrelu x99999999999999\n',
  'repeat 1e5 in repeat 1e5': 'input 3x8x8\nrepeat 100000\nrepeat 100000\nconv3-8 pad1\nend\nend\n',
  'conv3-8 x99999999': 'input 3x8x8\nconv3-8 x99999999\n',
  '20 networks of relu x1000000': Array.from({ length: 20 }, (_, i) => `network n${i}\ninput 3x8x8\nrelu x1000000\n`).join(''),
  'blocks nested 3,000 deep': 'input 3x8x8\n' + 'repeat 1\n'.repeat(3000) + 'relu\n' + 'end\n'.repeat(3000),
  'a chain of 3,000 blocks': Array.from({ length: 3000 }, (_, i) => `block b${i}\n  ${i === 2999 ? 'relu' : `b${i + 1}`}\nend\n`).join('') + 'network n\ninput 3x8x8\nb0\n',
  '50 MB file': 'input 3x8x8\n' + 'conv3-8 pad1\n'.repeat(4_000_000),
};
