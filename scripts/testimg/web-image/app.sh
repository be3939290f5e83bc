#!/bin/sh
# husk-web 2.3 entrypoint: serve /srv/www with busybox httpd
echo "husk-web 2.3 starting on :${APP_PORT:-8080} (APP_ENV=${APP_ENV})"
exec httpd -f -v -p "${APP_PORT:-8080}" -h /srv/www
