"""supervision: alerts, orders, cards, notifications, leases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:44:19.628978
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('notification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('ref_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('kind', 'ref_id', 'channel', 'user_id', name=op.f('uq_notification_kind'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_status_channel', ['status', 'channel'], unique=False)
        batch_op.create_index('ix_notification_user_channel', ['user_id', 'channel'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user_account.id'], name=op.f('fk_alert_acknowledged_by_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_alert_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_alert_department_code_department')),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], name=op.f('fk_alert_officer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'level', name=op.f('uq_alert_subject_kind'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_alert_level_state_raised', ['level', 'state', 'raised_on'], unique=False)
        batch_op.create_index('ix_alert_raised_on', ['raised_on'], unique=False)
        batch_op.create_index('ix_alert_state_dept', ['state', 'department_code'], unique=False)

    op.create_table('department_card',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('color', sa.String(length=8), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('source_kind', sa.String(length=8), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_department_card_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_department_card_department_code_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_card')),
    sa.UniqueConstraint('source_kind', 'source_id', 'color', name=op.f('uq_department_card_source_kind'))
    )
    with op.batch_alter_table('department_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_card_department_code'), ['department_code'], unique=False)

    op.create_table('supervision_order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('reply_wd', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=False),
    sa.Column('reply_due_confirmed', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('light', sa.String(length=8), server_default='green', nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_to', sa.String(length=32), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_supervision_order_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_supervision_order_department_code_department')),
    sa.ForeignKeyConstraint(['escalated_to'], ['department.code'], name=op.f('fk_supervision_order_escalated_to_department')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_supervision_order_issued_by_id_user_account')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['user_account.id'], name=op.f('fk_supervision_order_replied_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_order'))
    )
    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_order_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_order_department_code'), ['department_code'], unique=False)
        batch_op.create_index('ix_supervision_order_state_due', ['state', 'reply_due'], unique=False)

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index('ix_case_file_board', ['status', 'light', 'item_id', 'department_code', 'deadline_confirmed'], unique=False)
        batch_op.create_index('ix_case_file_completed_at', ['completed_at'], unique=False, postgresql_include=['item_id', 'used_wd', 'extension_wd'])
        batch_op.create_index('ix_case_file_light_deadline', ['light', 'deadline'], unique=False)
        batch_op.create_index('ix_case_file_submitted_at', ['submitted_at'], unique=False, postgresql_include=['item_id'])

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.create_index('ix_case_task_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_case_task_light', ['light', 'state'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_index('ix_case_task_light')
        batch_op.drop_index('ix_case_task_created_at')

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_submitted_at', postgresql_include=['item_id'])
        batch_op.drop_index('ix_case_file_light_deadline')
        batch_op.drop_index('ix_case_file_completed_at', postgresql_include=['item_id', 'used_wd', 'extension_wd'])
        batch_op.drop_index('ix_case_file_board')

    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_order_state_due')
        batch_op.drop_index(batch_op.f('ix_supervision_order_department_code'))
        batch_op.drop_index(batch_op.f('ix_supervision_order_case_id'))

    op.drop_table('supervision_order')
    with op.batch_alter_table('department_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_card_department_code'))

    op.drop_table('department_card')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_state_dept')
        batch_op.drop_index('ix_alert_raised_on')
        batch_op.drop_index('ix_alert_level_state_raised')
        batch_op.drop_index(batch_op.f('ix_alert_case_id'))

    op.drop_table('alert')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_channel')
        batch_op.drop_index('ix_notification_status_channel')

    op.drop_table('notification')
    op.drop_table('scheduler_lease')

