FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=posc.settings.production
WORKDIR /app
# The review PDF embeds these Unicode fonts so every name prints as written (audit/reviews/fonts.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs a key to import production settings; it is not the runtime key.
RUN DJANGO_SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_hex(32))') \
    POSC_AUDIT_CHAIN_KEY=build-only-$(python -c 'import secrets; print(secrets.token_hex(32))') \
    python manage.py collectstatic --no-input
RUN useradd --system --no-create-home posc \
    && mkdir -p /app/var/reports && chown posc /app/var/reports && chmod 750 /app/var/reports
USER posc
EXPOSE 8000
CMD ["gunicorn", "posc.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
