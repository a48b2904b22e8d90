"""Mounted at the site root by helpdesk/urls.py: the crawler files of the help center."""

from django.urls import path

from . import root_views

urlpatterns = [
    path("robots.txt", root_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", root_views.sitemap_xml, name="sitemap"),
]
