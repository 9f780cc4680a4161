import { Client } from 'pg';
import supertest from 'supertest';
import type { DataSource } from 'typeorm';
import type { Ability } from '../../src/auth/ability';
import type { PlanName } from '../../src/billing/plans';
import { bearer, newTeam, newToken, newUser, TestUser } from './factories';

/** Adds a freshly registered user to the team of `adminPat` over HTTP and returns them with a token for that team. */
export async function newMember(
  baseUrl: string,
  adminPat: string,
  teamId: string,
  role: 'owner' | 'admin' | 'member',
  abilities?: Ability[],
): Promise<{ user: TestUser; pat: string }> {
  const user = await newUser(baseUrl);
  await supertest(baseUrl).post('/api/v1/team/members').set(bearer(adminPat)).send({ email: user.email, role }).expect(201);
  return { user, pat: await newToken(baseUrl, user, { team_id: teamId, abilities }) };
}

/** Puts a team on `plan` directly in the database, as billing would, without Stripe. */
export async function setPlan(dataSource: DataSource, teamId: string, plan: PlanName): Promise<void> {
  await dataSource.query('UPDATE teams SET plan = $2 WHERE id = $1', [teamId, plan]);
}

/** A new team (its owner and a token) already on `plan`. */
export async function newTeamOn(plan: PlanName, baseUrl: string, dataSource: DataSource): Promise<{ owner: TestUser; pat: string }> {
  const team = await newTeam(baseUrl);
  await setPlan(dataSource, team.owner.teamId, plan);
  return team;
}

/** `setPlan` for a database a server process uses: a connection of its own, for one statement. */
export async function setPlanAt(databaseUrl: string, teamId: string, plan: PlanName): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('UPDATE teams SET plan = $2 WHERE id = $1', [teamId, plan]);
  } finally {
    await client.end();
  }
}

/** `newTeamOn` for a server process on `databaseUrl`: the token of a new team's owner, the team on `plan`. */
export async function newTeamAt(plan: PlanName, baseUrl: string, databaseUrl: string): Promise<string> {
  const { owner, pat } = await newTeam(baseUrl);
  await setPlanAt(databaseUrl, owner.teamId, plan);
  return pat;
}

/** A new team (not personal) that `owner` made, with an owner's token for it. */
export async function newTeamOf(baseUrl: string, owner: TestUser, name = 'Doomed'): Promise<{ teamId: string; pat: string }> {
  const personalPat = await newToken(baseUrl, owner);
  const created = await supertest(baseUrl).post('/api/v1/teams').set(bearer(personalPat)).send({ name }).expect(201);
  return { teamId: created.body.data.id, pat: await newToken(baseUrl, owner, { team_id: created.body.data.id }) };
}
