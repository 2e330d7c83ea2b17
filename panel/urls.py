"""URL map. The ingest endpoints (/api/event, /js/*.js) are served by ``ingest`` in ``panel.wsgi``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from panel.accounts import views as accounts
from panel.dashboard import views as dashboard
from panel.sites import views as sites
from panel.stats_api import openapi, v2_views
from panel.stats_api import views as stats

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("register/", accounts.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sites/", sites.site_list, name="sites"),
    path("sites/new/", sites.site_new, name="site-new"),
    path("api/v1/stats/realtime/visitors", stats.realtime_visitors, name="api-realtime-visitors"),
    path("api/v1/stats/aggregate", stats.aggregate, name="api-aggregate"),
    path("api/v1/stats/timeseries", stats.timeseries, name="api-timeseries"),
    path("api/v1/stats/breakdown", stats.breakdown, name="api-breakdown"),
    path("api/v1/stats/funnel", stats.funnel, name="api-funnel"),
    path("api/v2/query", v2_views.query, name="api-v2-query"),
    path("api/docs/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("dashboard-data/dropped", dashboard.dropped, name="dashboard-dropped"),
    path("dashboard-data/prop-keys", dashboard.prop_keys, name="dashboard-prop-keys"),
    path("dashboard-data/funnels", dashboard.funnels, name="dashboard-funnels"),
    path("<str:domain>/snippet/", sites.site_snippet, name="site-snippet"),
    path("<str:domain>/", dashboard.dashboard, name="dashboard"),
]
