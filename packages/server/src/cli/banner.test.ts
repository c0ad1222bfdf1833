import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from './banner.js';

describe('shellWord (the paths in the banner\'s commands)', () => {
  it('leaves a plain path as it is and quotes one a shell would split or expand', () => {
    expect(shellWord('./data')).toBe('./data');
    expect(shellWord('/var/lib/switchboard/tls/ca.pem')).toBe('/var/lib/switchboard/tls/ca.pem');
    expect(shellWord('with space/d')).toBe("'with space/d'");
  });

  it.each(['with space/d', "it's here", '$HOME/x', 'a"b', '*', 'a;b'])('a shell reads %j back as that one word', (word) => {
    expect(execFileSync('sh', ['-c', `printf %s ${shellWord(word)}`], { encoding: 'utf8' })).toBe(word);
  });
});
