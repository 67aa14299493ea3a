import { constants } from "node:fs";

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

function typeChar(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      return "d";
    case constants.S_IFLNK:
      return "l";
    case constants.S_IFCHR:
      return "c";
    case constants.S_IFBLK:
      return "b";
    case constants.S_IFIFO:
      return "p";
    case constants.S_IFSOCK:
      return "s";
    default:
      return "-";
  }
}

function triple(
  mode: number,
  shift: number,
  special: boolean,
  specialSet: string,
  specialUnset: string,
): string {
  const r = mode & (0o4 << shift) ? "r" : "-";
  const w = mode & (0o2 << shift) ? "w" : "-";
  const executable = (mode & (0o1 << shift)) !== 0;
  const x = special ? (executable ? specialSet : specialUnset) : executable ? "x" : "-";
  return `${r}${w}${x}`;
}

/** strmode(3) without the trailing space: "-rw-r--r--", "drwxr-xr-x", "-rwsr-xr-x". */
export function formatFileMode(mode: number): string {
  return (
    typeChar(mode) +
    triple(mode, 6, (mode & S_ISUID) !== 0, "s", "S") +
    triple(mode, 3, (mode & S_ISGID) !== 0, "s", "S") +
    triple(mode, 0, (mode & S_ISVTX) !== 0, "t", "T")
  );
}
