// Usage texts, worded after libcap 2.66's setcap and getcap, naming this program.

export const PROGRAM = 'setcap-static';

export const SETCAP_SYNOPSIS =
  `usage: ${PROGRAM} [-h] [-q] [-v] [-n <rootid>] (-r|-|<caps>) <filename> [ ... (-r|-|<capsN>) <filenameN> ]\n`;

export const SETCAP_USAGE =
  SETCAP_SYNOPSIS +
  `       ${PROGRAM} get [-h] [-l] [-n] [-r] [-v] <filename> [<filename> ...]\n` +
  `       ${PROGRAM} pack -h     (capabilities inside a layer tar, for ADD)\n` +
  `       ${PROGRAM} emit -h     (a tiny static setter for any of eight platforms)\n` +
  '\n' +
  ' Note <filename> must be a regular (non-symlink) file.\n' +
  ' -r          remove capability from file\n' +
  ' -           read capability text from stdin\n' +
  ' <capsN>     cap_from_text(3) formatted file capability\n' +
  ' -h          this message and exit status 0\n' +
  ' -q          quietly\n' +
  ' -v          validate supplied capability matches file\n' +
  ' -n <rootid> write a user namespace (!= 0) limited capability\n' +
  ' --license   display the license info\n' +
  '\n' +
  ' Every <caps> and <filename> is checked before the first file is changed; if any\n' +
  ' change fails, the files already changed are put back: all of them or none.\n' +
  ' get         getcap(8), also when this program is invoked under the name getcap\n' +
  ' Invoked as /!NAME, or run from a file whose name starts with !, the program deletes\n' +
  ' its own file after everything asked succeeded (the get command included).\n';

/** getcap's usage; `name` is what this program was invoked as ("getcap" or "setcap-static get"). */
export function getcapUsage(name: string): string {
  return `usage: ${name} [-h] [-l] [-n] [-r] [-v] <filename> [<filename> ...]\n\n\tdisplays the capabilities on the queried file(s).\n`;
}

export function licenseText(name: string): string {
  return `${name}: MIT License, see the LICENSE file of the setcap-static package.\n`;
}
