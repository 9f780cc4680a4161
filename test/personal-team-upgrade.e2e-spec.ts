import { randomBytes, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { Client } from 'pg';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations';
import { AddTeamCreators1795640000000 } from '../migrations/1795640000000-AddTeamCreators';
import { typeormOptions } from '../src/typeorm-options';
import { createTestDatabase, TestDatabase } from './support/database';
import { bearer, newToken, newUser, TestUser } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

/** The database as the builds before AddTeamCreators left it, migrated that far. */
async function migrateToBeforeTeamCreators(db: TestDatabase): Promise<void> {
  const dataSource = new DataSource({
    ...typeormOptions(db.url, 1),
    migrations: migrations.slice(0, migrations.indexOf(AddTeamCreators1795640000000)),
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * A database upgraded from milestone 1, where erin added dana to her personal team as owner and
 * then left it: AddTeamCreators recorded dana, its earliest remaining member, as its maker too.
 */
describe('a personal team whose user left it before an upgrade', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  const users: Record<'dana' | 'erin' | 'gus', TestUser> = {} as never;
  const others: Record<'xavier' | 'yara' | 'wendy' | 'vic', { userId: string; teamId: string }> = {} as never;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    await migrateToBeforeTeamCreators(db);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // One transaction, one now(): a user and their team share created_at, as registration left them.
      await client.query('BEGIN');
      const [erinsTeam, danasTeam] = [randomUUID(), randomUUID()].sort();
      const teamIds = { erin: erinsTeam, dana: danasTeam, gus: randomUUID() };
      const registeredDaysAgo = { dana: 5, erin: 4, gus: 2 };
      for (const name of ['dana', 'erin', 'gus'] as const) {
        const user = {
          id: randomUUID(),
          email: `${name}-${randomBytes(4).toString('hex')}@upgrade.test`,
          password: `pw-${name}-long`,
          name,
        };
        users[name] = { ...user, teamId: teamIds[name] };
        await client.query(
          `INSERT INTO users (id, kind, email, name, password_hash, created_at, updated_at)
           VALUES ($1, 'user', $2, $3, $4, now() - make_interval(days => $5), now() - make_interval(days => $5))`,
          [user.id, user.email, name, await argon2.hash(user.password), registeredDaysAgo[name]],
        );
      }
      // Erin's team's rows come first, on disk and by id, so a look-up without an order meets it first.
      for (const name of ['erin', 'dana', 'gus'] as const) {
        await client.query(
          `INSERT INTO teams (id, name, personal, created_at, updated_at)
           VALUES ($1, $2, true, now() - make_interval(days => $3), now() - make_interval(days => $3))`,
          [teamIds[name], `${name}'s team`, registeredDaysAgo[name]],
        );
      }
      const memberships: [string, string, number][] = [
        [erinsTeam, users.erin.id, 4],
        [erinsTeam, users.dana.id, 3],
        [erinsTeam, users.gus.id, 1],
        [danasTeam, users.dana.id, 5],
        [teamIds.gus, users.gus.id, 2],
      ];
      for (const [teamId, userId, daysAgo] of memberships) {
        await client.query(
          `INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now() - make_interval(days => $3))`,
          [teamId, userId, daysAgo],
        );
      }
      // Milestone 1 let erin remove herself from her own personal team.
      await client.query(`DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, [erinsTeam, users.erin.id]);
      // Two more shapes: xavier left his own team and is the one member left in yara's, which she left
      // too (AddTeamCreators made him its maker, his only one); wendy left hers, vic was added, then
      // wendy was added back (AddTeamCreators made vic its maker, beside his own).
      for (const [name, daysAgo] of [
        ['xavier', 9],
        ['yara', 8],
        ['wendy', 7],
        ['vic', 6],
      ] as const) {
        const [userId, teamId] = [randomUUID(), randomUUID()];
        others[name] = { userId, teamId };
        await client.query(
          `INSERT INTO users (id, kind, email, name, password_hash, created_at, updated_at)
           VALUES ($1, 'user', $2, $3, 'unused', now() - make_interval(days => $4), now() - make_interval(days => $4))`,
          [userId, `${name}-${randomBytes(4).toString('hex')}@upgrade.test`, name, daysAgo],
        );
        await client.query(
          `INSERT INTO teams (id, name, personal, created_at, updated_at)
           VALUES ($1, $2, true, now() - make_interval(days => $3), now() - make_interval(days => $3))`,
          [teamId, `${name}'s team`, daysAgo],
        );
      }
      const later: [string, string, number][] = [
        [others.yara.teamId, others.xavier.userId, 3],
        [others.wendy.teamId, others.vic.userId, 3],
        [others.wendy.teamId, others.wendy.userId, 1],
        [others.vic.teamId, others.vic.userId, 6],
      ];
      for (const [teamId, userId, daysAgo] of later) {
        await client.query(
          `INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now() - make_interval(days => $3))`,
          [teamId, userId, daysAgo],
        );
      }
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    // The current build migrates on start.
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn' }));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('records no one as the maker of a team its user left, and each user as the maker of their own, added back or not', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { xavier, yara, wendy, vic } = others;
      const { rows } = await client.query<{ id: string; created_by: string | null }>(
        `SELECT id, created_by FROM teams WHERE id = ANY($1::uuid[])`,
        [[users.dana.teamId, users.erin.teamId, users.gus.teamId, xavier.teamId, yara.teamId, wendy.teamId, vic.teamId]],
      );
      expect(Object.fromEntries(rows.map((row) => [row.id, row.created_by]))).toEqual({
        [users.dana.teamId]: users.dana.id,
        [users.erin.teamId]: null,
        [users.gus.teamId]: users.gus.id,
        [xavier.teamId]: null,
        [yara.teamId]: null,
        [wendy.teamId]: wendy.userId,
        [vic.teamId]: vic.userId,
      });
    } finally {
      await client.end();
    }
  });

  it('registers a user and their personal team with one created_at, by which RepairPersonalTeamCreators knows it', async () => {
    const registered = await newUser(server.baseUrl);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT t.created_at = u.created_at AS same FROM teams t JOIN users u ON u.id = t.created_by WHERE t.id = $1`,
        [registered.teamId],
      );
      expect(rows).toEqual([{ same: true }]);
    } finally {
      await client.end();
    }
  });

  it("gives dana a token for her own personal team without team_id, and her account's deletion leaves erin's team and gus's secret", async () => {
    const api = () => supertest(server.baseUrl);
    const { dana, erin, gus } = users;
    const login = await api()
      .post('/api/v1/auth/token')
      .send({ email: dana.email, password: dana.password, device_name: 'upgraded', abilities: ['team:read'] })
      .expect(201);
    expect(login.body.data.team_id).toBe(dana.teamId);

    // As the reviewer had it: gus co-owns both teams dana is in, so nothing holds her deletion back.
    const danaOwn = await newToken(server.baseUrl, dana, { team_id: dana.teamId });
    await api().post('/api/v1/team/members').set(bearer(danaOwn)).send({ email: gus.email, role: 'owner' }).expect(201);
    const gusInErins = await newToken(server.baseUrl, gus, { team_id: erin.teamId });
    const secret = await newSecret(server.baseUrl, {}, gusInErins);

    await api().delete('/api/v1/account').set(bearer(danaOwn)).send({ password: dana.password }).expect(204);
    const team = await api().get('/api/v1/team').set(bearer(gusInErins)).expect(200);
    expect(team.body.data).toMatchObject({ id: erin.teamId, personal: true, members: 1 });
    const secrets = await api().get('/api/v1/secrets').set(bearer(gusInErins)).expect(200);
    expect(secrets.body.data.map((listed: { id: string }) => listed.id)).toContain(secret.id);
    // Dana's personal team went with her account.
    await api().get('/api/v1/team').set(bearer(danaOwn)).expect(401);

    // A personal team without its user is no one's account: its owners may delete it.
    await api().delete('/api/v1/team').set(bearer(gusInErins)).expect(204);
  });
});
