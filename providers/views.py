from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .forms import ProviderSearchForm
from .selectors import pidsl_search

PAGE_SIZE = 25


@login_required
def provider_search(request):
    """Provider Search: enrolled providers are public to every signed-in user, as in the POSC."""
    form = ProviderSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        page = Paginator(pidsl_search(**form.cleaned_data), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "providers/search.html", {"form": form, "page": page}, status=400 if form.errors else 200)
