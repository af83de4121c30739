"""face template updates (issue 14): where each template came from, and consent to updates

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Templates stored before this revision all came from enrolment.
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=12), server_default='enrolment', nullable=False))
        batch_op.add_column(sa.Column('source_ref', sa.String(length=80), nullable=True))
        batch_op.create_check_constraint(op.f('ck_face_template_source'), "source IN ('enrolment', 'update')")

    op.create_table(
        'face_update_consent',
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('granted_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_face_update_consent_attendee_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('attendee_id', name=op.f('pk_face_update_consent')),
    )


def downgrade() -> None:
    op.drop_table('face_update_consent')
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_face_template_source'), type_='check')
        batch_op.drop_column('source_ref')
        batch_op.drop_column('source')
