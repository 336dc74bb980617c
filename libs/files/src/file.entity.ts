import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Course } from '#courses';
import { User } from '#users';

export const FILE_TYPES = ['video', 'image', 'document', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** Longest original file name kept (code points; longer names are shortened, keeping the extension). */
export const ORIGINAL_FILENAME_MAX = 255;
/** Longest folder path (code points). */
export const FOLDER_MAX = 255;

/**
 * An uploaded file: the row exists only once its bytes are stored (`storage_key`), and the bytes
 * of a deleted row are removed by the files / delete-file-object job.
 */
@Entity({ name: 'files' })
@Index('idx_files_owner_created', ['ownerId', 'createdAt'])
@Index('idx_files_course', ['courseId'])
export class StoredFile {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'owner_id', type: 'uuid' }) ownerId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: Relation<User>;
  /** The course whose managers and enrolled students may read it (null: owner, admins, or public). */
  @Column({ name: 'course_id', type: 'uuid', nullable: true }) courseId!: string | null;
  @ManyToOne(() => Course, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'course_id' })
  course?: Relation<Course>;
  /** The stored name, `<uuid>.<ext>`. */
  @Column({ type: 'varchar', length: 100 }) filename!: string;
  /** The client's name, sanitised (no path, no control characters), for Content-Disposition only. */
  @Column({ name: 'original_filename', type: 'varchar', length: ORIGINAL_FILENAME_MAX }) originalFilename!: string;
  @Column({ type: 'varchar', length: FOLDER_MAX }) folder!: string;
  /** `<folder>/<filename>`: where the bytes live in the storage provider. */
  @Column({ name: 'storage_key', type: 'varchar', length: 400, unique: true }) storageKey!: string;
  @Column({ name: 'storage_provider', type: 'varchar', length: 20 }) storageProvider!: 'local' | 'azure';
  @Column({ name: 'file_type', type: 'varchar', length: 20 }) fileType!: FileType;
  @Column({ name: 'mime_type', type: 'varchar', length: 255 }) mimeType!: string;
  @Column({ name: 'file_size', type: 'bigint' }) fileSize!: string;
  @Column({ type: 'char', length: 64 }) sha256!: string;
  @Column({ name: 'is_public', type: 'boolean', default: false }) isPublic!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
