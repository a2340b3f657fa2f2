/** Sluice's configuration, as read from YAML (config/sluice.yaml is the embedded default). */
export interface SluiceConfig {
  node: { id: string };
  log: { level: string };
  sip: { maxMessageBytes: number };
  realms: Record<string, RealmConfig>;
}

export interface ListenConfig {
  transport: 'udp';
  address: string;
  port: number;
}

export interface RealmConfig {
  listen: ListenConfig[];
}
