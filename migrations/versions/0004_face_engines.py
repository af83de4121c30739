"""face engines (issue 14): engine name/version/dimension and enrolment crop on every template;
duplicate-at-enrolment reviews

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DLIB_VERSION = "dlib_face_recognition_resnet_model_v1 (face_recognition_models 0.3.0)"


def upgrade() -> None:
    # Templates stored before this revision are dlib's 128-d vectors.
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engine', sa.String(length=40), server_default='dlib', nullable=False))
        batch_op.add_column(sa.Column('engine_version', sa.String(length=120), server_default=DLIB_VERSION, nullable=False))
        batch_op.add_column(sa.Column('dim', sa.Integer(), server_default='128', nullable=False))
        batch_op.add_column(sa.Column('crop_key_id', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('crop_cipher', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_face_template_engine'), ['engine'], unique=False)

    op.create_table(
        'face_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('other_attendee_id', sa.Integer(), nullable=False),
        sa.Column('distance', sa.Float(), nullable=False),
        sa.Column('engine', sa.String(length=40), nullable=False),
        sa.Column('key_id', sa.String(length=20), nullable=True),
        sa.Column('cipher', sa.LargeBinary(), nullable=True),
        sa.Column('crop_key_id', sa.String(length=20), nullable=True),
        sa.Column('crop_cipher', sa.LargeBinary(), nullable=True),
        sa.Column('quality', sa.Float(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('requested_by', sa.String(length=80), nullable=False),
        sa.Column('decided_by', sa.String(length=80), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_face_review_status')),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_face_review_attendee_id_attendee'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['other_attendee_id'], ['attendee.id'], name=op.f('fk_face_review_other_attendee_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_face_review')),
    )
    with op.batch_alter_table('face_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_review_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_face_review_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('face_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_review_status'))
        batch_op.drop_index(batch_op.f('ix_face_review_attendee_id'))
    op.drop_table('face_review')
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_template_engine'))
        batch_op.drop_column('crop_cipher')
        batch_op.drop_column('crop_key_id')
        batch_op.drop_column('dim')
        batch_op.drop_column('engine_version')
        batch_op.drop_column('engine')
