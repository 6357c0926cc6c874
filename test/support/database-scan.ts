import pg from 'pg';

/**
 * Every table's rows as text, except the local secret store's ciphertext table. Tests search
 * it for secret values that must never be stored in the clear.
 */
export async function dumpDatabaseExceptSecretStore(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'SecretVersion'`,
    );
    const parts: string[] = [];
    for (const { table_name: table } of tables) {
      const { rows } = await client.query(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
      parts.push(...rows.map((row: { row: string }) => `${table}: ${row.row}`));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/** The local store's table as text (ciphertext is bytea, rendered hex). */
export async function dumpSecretStoreTable(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT row_to_json(t)::text AS row FROM "SecretVersion" t`);
    return rows.map((row: { row: string }) => row.row).join('\n');
  } finally {
    await client.end();
  }
}
