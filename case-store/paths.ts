/**
 * Where exhibit keeps its own state. With EXHIBIT_HOME set, everything lives
 * there; otherwise the case store is under the XDG data directory
 * (~/.local/share/exhibit) and keys and settings under the XDG config
 * directory (~/.config/exhibit). EXHIBIT_STORE=postgresql://... puts the case
 * store on a PostgreSQL server instead (keys and settings stay on this machine).
 */
import os from 'node:os';
import path from 'node:path';

export interface ExhibitPaths {
  dataDir: string;
  configDir: string;
  database: string; // cases.db
  keysDir: string; // private keys, one PEM per key, mode 0600
  configFile: string; // config.yaml
  /** EXHIBIT_STORE: a postgresql:// URL puts the case store on PostgreSQL instead of cases.db. */
  storeUrl?: string;
}

export function exhibitPaths(env: NodeJS.ProcessEnv = process.env): ExhibitPaths {
  const home = env.EXHIBIT_HOME?.trim();
  const userHome = env.HOME?.trim() || os.homedir();
  const dataDir = home ? path.resolve(home) : path.join(absolute(env.XDG_DATA_HOME) ?? path.join(userHome, '.local', 'share'), 'exhibit');
  const configDir = home ? path.resolve(home) : path.join(absolute(env.XDG_CONFIG_HOME) ?? path.join(userHome, '.config'), 'exhibit');
  return {
    dataDir,
    configDir,
    database: path.join(dataDir, 'cases.db'),
    keysDir: path.join(configDir, 'keys'),
    configFile: path.join(configDir, 'config.yaml'),
    ...(env.EXHIBIT_STORE?.trim() ? { storeUrl: env.EXHIBIT_STORE.trim() } : {}),
  };
}

/** XDG says relative values are to be ignored. */
function absolute(v: string | undefined): string | undefined {
  return v && path.isAbsolute(v) ? v : undefined;
}
