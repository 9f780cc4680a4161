import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PlanName } from '../billing/plans';

@Entity('teams')
@Index('teams_created_by_idx', ['createdBy'])
@Index('teams_personal_created_by_key', ['createdBy'], { unique: true, where: 'personal' })
export class Team {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 20, default: 'free' })
  plan!: PlanName;

  @Column({ type: 'boolean', default: false })
  personal!: boolean;

  /**
   * The user who made the team: for a personal team, whose it is, whoever else it has added or
   * kept (one each at most). NULL on a personal team left without its user before they were kept in it.
   */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  /** The plan an operator granted (`plan:set`): the team's plan is never below it, whatever Stripe says. NULL: none. */
  @Column({ name: 'operator_plan', type: 'varchar', length: 20, nullable: true })
  operatorPlan!: PlanName | null;

  /** The Stripe subscription's status as last reported (`active`, `past_due`, `canceled`…); NULL without one. */
  @Column({ name: 'billing_status', type: 'varchar', length: 32, nullable: true })
  billingStatus!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
