"""URL map. The ingest endpoints (/api/event, /js/*.js) are served by ``ingest`` in ``panel.wsgi``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from panel.accounts import account_views, login_views
from panel.accounts import closing_views as closing
from panel.accounts import invitation_views as invitations
from panel.accounts import org_views as orgs
from panel.accounts import security_views as security
from panel.accounts import views as accounts
from panel.apidocs import views as apidocs
from panel.apikeys import views as apikeys
from panel.dashboard import segments
from panel.dashboard import views as dashboard
from panel.exports import views as exports
from panel.imports import views as imports
from panel.reports import export_views as full_export
from panel.reports import preview as report_preview
from panel.reports import views as reports
from panel.sharing import settings_views as sharing_settings
from panel.sharing import views as sharing
from panel.sites import goals_views as goal_settings
from panel.sites import settings_views as site_settings
from panel.sites import views as sites
from panel.sites_api import goals as sites_api_goals
from panel.sites_api import shared_links as sites_api_links
from panel.sites_api import views as sites_api
from panel.stats_api import openapi, v2_views
from panel.stats_api import views as stats

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("register/", accounts.signup, name="signup"),
    path("register/sent/", accounts.signup_sent, name="signup-sent"),
    path("login/", login_views.login_view, name="login"),
    path("login/code/", login_views.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/", accounts.verify_needed, name="verify-email-needed"),
    path("verify/resend/", accounts.verify_resend, name="verify-email-resend"),
    path("verify/<str:token>/", accounts.verify_email, name="verify-email"),
    path("password-reset/", login_views.password_reset, name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        login_views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("account/", account_views.account, name="account"),
    path("account/email/", account_views.email_change, name="email-change"),
    path("account/email/<str:token>/", account_views.email_change_confirm, name="email-change-confirm"),
    path("account/password/", account_views.password_change, name="password-change"),
    path("account/delete/", closing.delete, name="account-delete"),
    path("account/two-factor/", security.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/disable/", security.two_factor_disable, name="two-factor-disable"),
    path("account/two-factor/recovery-codes/", security.recovery_codes, name="two-factor-recovery-codes"),
    path("orgs/", orgs.organisations, name="organisations"),
    path("orgs/<int:org_id>/", orgs.organisation, name="organisation"),
    path("orgs/<int:org_id>/switch/", orgs.switch, name="organisation-switch"),
    path("orgs/<int:org_id>/rename/", orgs.rename, name="organisation-rename"),
    path("orgs/<int:org_id>/invite/", orgs.invite, name="organisation-invite"),
    path(
        "orgs/<int:org_id>/invitations/<int:invitation_id>/revoke/",
        orgs.revoke_invitation,
        name="invitation-revoke",
    ),
    path("orgs/<int:org_id>/members/<int:member_id>/role/", orgs.change_role, name="member-role"),
    path("orgs/<int:org_id>/members/<int:member_id>/remove/", orgs.remove_member, name="member-remove"),
    path("orgs/<int:org_id>/transfer/", orgs.transfer, name="organisation-transfer"),
    path("orgs/<int:org_id>/keys/", apikeys.key_list, name="api-keys"),
    path("orgs/<int:org_id>/keys/<int:key_id>/revoke/", apikeys.key_revoke, name="api-key-revoke"),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("sites/", sites.site_list, name="sites"),
    path("sites/new/", sites.site_new, name="site-new"),
    path("reports/unsubscribe/<str:token>/", reports.unsubscribe, name="report-unsubscribe"),
    path("exports/download/<str:token>/", full_export.export_download, name="site-export-download"),
    path("api/v1/sites", sites_api.sites, name="api-sites"),
    path("api/v1/sites/goals", sites_api_goals.goals, name="api-site-goals"),
    path("api/v1/sites/goals/<int:goal_id>", sites_api_goals.goal, name="api-site-goal"),
    path("api/v1/sites/shared-links", sites_api_links.shared_links, name="api-site-links"),
    path("api/v1/sites/shared-links/<int:link_id>", sites_api_links.shared_link, name="api-site-link"),
    path("api/v1/sites/<str:domain>", sites_api.site, name="api-site"),
    path("api/v1/stats/realtime/visitors", stats.realtime_visitors, name="api-realtime-visitors"),
    path("api/v1/stats/aggregate", stats.aggregate, name="api-aggregate"),
    path("api/v1/stats/timeseries", stats.timeseries, name="api-timeseries"),
    path("api/v1/stats/breakdown", stats.breakdown, name="api-breakdown"),
    path("api/v1/stats/funnel", stats.funnel, name="api-funnel"),
    path("api/v2/query", v2_views.query, name="api-v2-query"),
    path("api/docs/", apidocs.reference, name="api-docs"),
    path("api/docs/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("dashboard-data/dropped", dashboard.dropped, name="dashboard-dropped"),
    path("dashboard-data/prop-keys", dashboard.prop_keys, name="dashboard-prop-keys"),
    path("dashboard-data/props", dashboard.props, name="dashboard-props"),
    path("dashboard-data/funnels", dashboard.funnels, name="dashboard-funnels"),
    path("dashboard-data/<str:domain>/segments", segments.segments, name="dashboard-segments"),
    path("dashboard-data/<str:domain>/segments/<int:segment_id>", segments.segment, name="dashboard-segment"),
    path("<str:domain>/snippet/", sites.site_snippet, name="site-snippet"),
    path("<str:domain>/snippet/first-event.json", sites.site_first_event, name="site-first-event"),
    path("share/<str:domain>", sharing.shared_dashboard, name="shared-dashboard"),
    path("<str:domain>/export.zip", exports.export_zip, name="export-zip"),
    path("<str:domain>/export/<slug:widget>.csv", exports.export_widget, name="export-widget"),
    path("<str:domain>/settings/", site_settings.general, name="site-settings"),
    path("<str:domain>/settings/shields/", site_settings.shields, name="site-settings-shields"),
    path("<str:domain>/settings/snippet/", site_settings.snippet, name="site-settings-snippet"),
    path("<str:domain>/settings/links/", sharing_settings.links, name="site-settings-links"),
    path(
        "<str:domain>/settings/links/<int:link_id>/revoke",
        sharing_settings.revoke,
        name="site-settings-link-revoke",
    ),
    path("<str:domain>/settings/goals/", goal_settings.goals, name="site-settings-goals"),
    path(
        "<str:domain>/settings/goals/<int:goal_id>/delete",
        goal_settings.delete_goal,
        name="site-settings-goal-delete",
    ),
    path("<str:domain>/settings/funnels/", goal_settings.funnels, name="site-settings-funnels"),
    path(
        "<str:domain>/settings/funnels/<int:funnel_id>/delete",
        goal_settings.delete_funnel,
        name="site-settings-funnel-delete",
    ),
    path("<str:domain>/settings/export/", full_export.export_page, name="site-export"),
    path(
        "<str:domain>/settings/export/<int:export_id>/", full_export.export_status, name="site-export-status"
    ),
    path(
        "<str:domain>/settings/export/<int:export_id>/status.json",
        full_export.export_status_json,
        name="site-export-status-json",
    ),
    path("<str:domain>/settings/imports/", imports.imports_page, name="site-imports"),
    path("<str:domain>/settings/imports/remove", imports.remove, name="site-imports-remove"),
    path("<str:domain>/settings/imports/<int:import_id>/", imports.import_status, name="site-import-status"),
    path(
        "<str:domain>/settings/imports/<int:import_id>/status.json",
        imports.import_status_json,
        name="site-import-status-json",
    ),
    path("<str:domain>/settings/danger/", site_settings.danger, name="site-settings-danger"),
    path("<str:domain>/settings/danger/reset", site_settings.reset_stats, name="site-reset-stats"),
    path("<str:domain>/settings/danger/delete", site_settings.delete_site, name="site-delete"),
    path("<str:domain>/notifications/", reports.notifications, name="site-notifications"),
    path("<str:domain>/notifications/preview/<slug:kind>/", report_preview.preview, name="report-preview"),
    path("<str:domain>/notifications/test/<slug:kind>/", report_preview.send_test, name="report-test"),
    path("<str:domain>/", dashboard.dashboard, name="dashboard"),
]
