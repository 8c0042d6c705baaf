from django import forms
from django.core.validators import RegexValidator


class ProviderSearchForm(forms.Form):
    business_name = forms.CharField(label="Business Name", max_length=200, required=False)
    provider_id = forms.CharField(
        label="Provider ID",
        max_length=10,
        required=False,
        validators=[
            RegexValidator(r"^\d{9}[A-Za-z]?$", "Enter the 9-digit Provider ID, with or without its location.")
        ],
        help_text="Enter 9 digits for the Provider ID.",
    )
    city = forms.CharField(label="City", max_length=100, required=False)
    zip_code = forms.CharField(
        label="ZIP Code",
        max_length=10,
        required=False,
        validators=[RegexValidator(r"^\d{5}(-?\d{4})?$", "Enter a 5-digit or 9-digit ZIP code.")],
    )

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in self.fields):
            raise forms.ValidationError("Enter at least one search criterion.")
        return data
