"""Operations tools: backups and restores, the local certificate authority."""
