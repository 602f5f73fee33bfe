//! `TenancyRepo`: tenants, users, memberships, invitations, API tokens and
//! e-mail verifications, written once for both backends.

/// Implements `TenancyRepo` for a transaction type with a `tx` field.
/// `for_update` is the row-locking suffix of the backend (`" FOR UPDATE"` or
/// `""`).
macro_rules! impl_tenancy_repo {
    ($tx:ty, for_update = $fu:literal) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::TenancyRepo for $tx {
            async fn insert_tenant(&mut self, t: &Tenant) -> R<()> {
                self.check_write(t.id)?;
                sqlx::query("INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(t.id.as_uuid())
                    .bind(&t.name)
                    .bind(&t.slug)
                    .bind(t.created_at)
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn get_tenant(&mut self, id: TenantId) -> R<Option<Tenant>> {
                if !self.sees(id) {
                    return Ok(None);
                }
                let row =
                    sqlx::query_as::<_, TenantRow>("SELECT id, name, slug, created_at FROM tenants WHERE id = $1")
                        .bind(id.as_uuid())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .db()?;
                Ok(row.map(Tenant::from))
            }

            async fn tenant_slug_exists(&mut self, slug: &str) -> R<bool> {
                // System scope: sees every tenant.
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants WHERE slug = $1")
                    .bind(slug)
                    .fetch_one(&mut *self.tx)
                    .await
                    .db()?;
                Ok(n > 0)
            }

            async fn lock_tenant(&mut self, id: TenantId) -> R<bool> {
                if !self.sees(id) {
                    return Ok(false);
                }
                let row: Option<Uuid> = sqlx::query_scalar(concat!("SELECT id FROM tenants WHERE id = $1", $fu))
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *self.tx)
                    .await
                    .db()?;
                Ok(row.is_some())
            }

            async fn insert_user(&mut self, u: &User) -> R<()> {
                sqlx::query(
                    "INSERT INTO users (id, email, email_normalized, full_name, password_hash, is_active, \
                     email_verified_at, created_at, is_operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(u.id.as_uuid())
                .bind(u.email.as_str())
                .bind(u.email.normalized())
                .bind(&u.full_name)
                .bind(u.password_hash.as_str())
                .bind(u.is_active)
                .bind(u.email_verified_at)
                .bind(u.created_at)
                .bind(u.is_operator)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn get_user(&mut self, id: UserId) -> R<Option<User>> {
                let row =
                    sqlx::query_as::<_, UserRow>(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
                        .bind(id.as_uuid())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .db()?;
                row.map(User::try_from).transpose()
            }

            async fn find_user_by_email(&mut self, normalized_email: &str) -> R<Option<User>> {
                let row = sqlx::query_as::<_, UserRow>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE email_normalized = $1"
                ))
                .bind(normalized_email)
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(User::try_from).transpose()
            }

            async fn update_user(&mut self, u: &User) -> R<()> {
                sqlx::query(
                    "UPDATE users SET is_active = $1, email_verified_at = $2, full_name = $3, password_hash = $4, \
                     is_operator = $6 WHERE id = $5",
                )
                .bind(u.is_active)
                .bind(u.email_verified_at)
                .bind(&u.full_name)
                .bind(u.password_hash.as_str())
                .bind(u.id.as_uuid())
                .bind(u.is_operator)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn insert_membership(&mut self, m: &Membership) -> R<()> {
                self.check_write(m.tenant_id)?;
                sqlx::query(
                    "INSERT INTO memberships (id, tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(m.id.as_uuid())
                .bind(m.tenant_id.as_uuid())
                .bind(m.user_id.as_uuid())
                .bind(m.role.as_str())
                .bind(m.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn get_membership(&mut self, tenant: TenantId, user: UserId) -> R<Option<Membership>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, MembershipRow>(
                    "SELECT id, tenant_id, user_id, role, created_at FROM memberships \
                     WHERE tenant_id = $1 AND user_id = $2",
                )
                .bind(tenant.as_uuid())
                .bind(user.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(Membership::try_from).transpose()
            }

            async fn list_members(&mut self, tenant: TenantId) -> R<Vec<Member>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, MemberRow>(
                    "SELECT m.id, m.tenant_id, m.user_id, m.role, m.created_at, u.email, u.full_name \
                     FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.tenant_id = $1 ORDER BY m.created_at, m.id",
                )
                .bind(tenant.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                convert_all(rows)
            }

            async fn list_memberships_of_user(&mut self, user: UserId) -> R<Vec<Membership>> {
                // System scope: every tenant of the user.
                let rows = sqlx::query_as::<_, MembershipRow>(
                    "SELECT id, tenant_id, user_id, role, created_at FROM memberships \
                     WHERE user_id = $1 ORDER BY created_at, id",
                )
                .bind(user.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                let all: Vec<Membership> = convert_all(rows)?;
                Ok(all.into_iter().filter(|m| self.sees(m.tenant_id)).collect())
            }

            async fn update_membership_role(&mut self, tenant: TenantId, user: UserId, role: Role) -> R<()> {
                if !self.sees(tenant) {
                    return Ok(());
                }
                sqlx::query("UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3")
                    .bind(role.as_str())
                    .bind(tenant.as_uuid())
                    .bind(user.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn delete_membership(&mut self, tenant: TenantId, user: UserId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                let done = sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2")
                    .bind(tenant.as_uuid())
                    .bind(user.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() > 0)
            }

            async fn count_admins(&mut self, tenant: TenantId) -> R<u64> {
                if !self.sees(tenant) {
                    return Ok(0);
                }
                let n: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'admin'")
                        .bind(tenant.as_uuid())
                        .fetch_one(&mut *self.tx)
                        .await
                        .db()?;
                count("count(*)", n)
            }

            async fn insert_invitation(&mut self, i: &Invitation) -> R<()> {
                self.check_write(i.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO invitations (",
                    invitation_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(i.id.as_uuid())
                .bind(i.tenant_id.as_uuid())
                .bind(i.email.as_str())
                .bind(i.role.as_str())
                .bind(i.token_hash.as_str())
                .bind(i.status.as_str())
                .bind(i.invited_by.as_uuid())
                .bind(i.expires_at)
                .bind(i.created_at)
                .bind(i.accepted_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn get_invitation(&mut self, tenant: TenantId, id: InvitationId) -> R<Option<Invitation>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, InvitationRow>(concat!(
                    "SELECT ",
                    invitation_columns!(),
                    " FROM invitations WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(Invitation::try_from).transpose()
            }

            async fn find_invitation_by_token(&mut self, hash: &TokenHash) -> R<Option<Invitation>> {
                // System scope: the tenant is not known before the token is.
                let row = sqlx::query_as::<_, InvitationRow>(concat!(
                    "SELECT ",
                    invitation_columns!(),
                    " FROM invitations WHERE token_hash = $1"
                ))
                .bind(hash.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                let found = row.map(Invitation::try_from).transpose()?;
                Ok(found.filter(|i| self.sees(i.tenant_id)))
            }

            async fn list_invitations(&mut self, tenant: TenantId) -> R<Vec<Invitation>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, InvitationRow>(concat!(
                    "SELECT ",
                    invitation_columns!(),
                    " FROM invitations WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC"
                ))
                .bind(tenant.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                convert_all(rows)
            }

            async fn update_invitation_status(
                &mut self,
                tenant: TenantId,
                id: InvitationId,
                status: InvitationStatus,
                accepted_at: Option<DateTime<Utc>>,
            ) -> R<()> {
                if !self.sees(tenant) {
                    return Ok(());
                }
                sqlx::query("UPDATE invitations SET status = $1, accepted_at = $2 WHERE tenant_id = $3 AND id = $4")
                    .bind(status.as_str())
                    .bind(accepted_at)
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn update_invitation_token(&mut self, tenant: TenantId, id: InvitationId, hash: &TokenHash) -> R<()> {
                self.check_write(tenant)?;
                sqlx::query("UPDATE invitations SET token_hash = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(hash.as_str())
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn insert_email_verification(&mut self, v: &EmailVerification) -> R<()> {
                self.check_write(v.tenant_id)?;
                sqlx::query(
                    "INSERT INTO email_verifications (id, user_id, tenant_id, token_hash, expires_at, used_at, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(v.id.as_uuid())
                .bind(v.user_id.as_uuid())
                .bind(v.tenant_id.as_uuid())
                .bind(v.token_hash.as_str())
                .bind(v.expires_at)
                .bind(v.used_at)
                .bind(v.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn find_email_verification(&mut self, hash: &TokenHash) -> R<Option<EmailVerification>> {
                // System scope: the tenant is not known before the token is.
                let row = sqlx::query_as::<_, EmailVerificationRow>(
                    "SELECT id, user_id, tenant_id, token_hash, expires_at, used_at, created_at \
                     FROM email_verifications WHERE token_hash = $1",
                )
                .bind(hash.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(EmailVerification::from).filter(|v| self.sees(v.tenant_id)))
            }

            async fn mark_email_verification_used(&mut self, v: &EmailVerification, at: DateTime<Utc>) -> R<()> {
                if !self.sees(v.tenant_id) {
                    return Ok(());
                }
                sqlx::query("UPDATE email_verifications SET used_at = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(at)
                    .bind(v.tenant_id.as_uuid())
                    .bind(v.id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn insert_api_token(&mut self, t: &ApiToken) -> R<()> {
                self.check_write(t.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO api_tokens (",
                    api_token_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(t.id.as_uuid())
                .bind(t.tenant_id.as_uuid())
                .bind(t.user_id.as_uuid())
                .bind(&t.name)
                .bind(t.token_hash.as_str())
                .bind(&t.prefix)
                .bind(t.expires_at)
                .bind(t.last_used_at)
                .bind(t.revoked_at)
                .bind(t.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn find_token_principal(&mut self, hash: &TokenHash) -> R<Option<TokenPrincipal>> {
                // System scope: authentication precedes knowing the tenant.
                let row = sqlx::query_as::<_, TokenPrincipalRow>(
                    "SELECT t.id, t.tenant_id, t.user_id, t.name, t.token_hash, t.prefix, t.expires_at, \
                     t.last_used_at, t.revoked_at, t.created_at, m.role AS member_role, \
                     u.is_active AS user_active, u.is_operator AS user_operator \
                     FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     LEFT JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = t.user_id \
                     WHERE t.token_hash = $1",
                )
                .bind(hash.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                match row {
                    Some(r) => {
                        let p = TokenPrincipal::try_from(r)?;
                        Ok(self.sees(p.token.tenant_id).then_some(p))
                    }
                    None => Ok(None),
                }
            }

            async fn get_api_token(&mut self, tenant: TenantId, id: ApiTokenId) -> R<Option<ApiToken>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, ApiTokenRow>(concat!(
                    "SELECT ",
                    api_token_columns!(),
                    " FROM api_tokens WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(ApiToken::from))
            }

            async fn list_api_tokens(&mut self, tenant: TenantId, user: Option<UserId>) -> R<Vec<ApiToken>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    api_token_columns!(),
                    " FROM api_tokens WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(user) = user {
                    qb.push(" AND user_id = ").push_bind(user.as_uuid());
                }
                qb.push(" ORDER BY created_at DESC, id DESC");
                let rows = qb.build_query_as::<ApiTokenRow>().fetch_all(&mut *self.tx).await.db()?;
                Ok(rows.into_iter().map(ApiToken::from).collect())
            }

            async fn revoke_api_token(&mut self, tenant: TenantId, id: ApiTokenId, at: DateTime<Utc>) -> R<()> {
                if !self.sees(tenant) {
                    return Ok(());
                }
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(at)
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn touch_api_token(&mut self, tenant: TenantId, id: ApiTokenId, at: DateTime<Utc>) -> R<()> {
                if !self.sees(tenant) {
                    return Ok(());
                }
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(at)
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_tenancy_repo;
